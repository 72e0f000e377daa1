# lmlab: one non-recursive Makefile.
#
#   make            build ./lmlab (installs missing Debian packages first)
#   make demo       train and compare n-gram models on a shipped corpus, with charts
#   make test       unit, exercise and command tests, the chapters' commands (check-chapters),
#                   a short fuzz run, the tests again under ASan+UBSan
#   make BLAS=openblas   nn_sgemm calls OpenBLAS's cblas_sgemm (objects under build/openblas/)
#   make help       every target
#
# Objects go under build/ (build/san/ with SANITIZE=1), mirroring the source tree.
# V=1 shows the commands.

CC      ?= cc
PYTHON  ?= /usr/bin/python3
SANITIZE ?= 0
BLAS    ?=

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS  ?= -O2 -g
BASEFLAGS := -std=c11 -D_GNU_SOURCE -march=native -fopenmp -I. $(WARN) -MMD -MP
LDLIBS  := -lpcre2-8 -lm -fopenmp

ifeq ($(SANITIZE),1)
BUILD   := build/san
CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
LMLAB   := $(BUILD)/lmlab
else
BUILD   := build
LMLAB   := lmlab
endif

# BLAS=openblas: Debian's OpenBLAS does nn_sgemm's work; its objects go to a separate tree, and
# a stamp relinks ./lmlab when BLAS changes
ifeq ($(BLAS),openblas)
BUILD   := $(BUILD)/openblas
BASEFLAGS += -DNN_BLAS_OPENBLAS
LDLIBS  += -lopenblas
else ifneq ($(BLAS),)
$(error BLAS=$(BLAS): the only choice is BLAS=openblas (or no BLAS, the lab's own kernel))
endif
BLAS_STAMP := build/blas-choice
$(shell mkdir -p build && { echo '$(BLAS)' | cmp -s - $(BLAS_STAMP) || \
    echo '$(BLAS)' > $(BLAS_STAMP); })

ifeq ($(V),1)
Q :=
else
Q := @
endif

# --- sources -------------------------------------------------------------------------------
LIB_SRC  := $(wildcard lab/*.c datasets/*.c ngram/*.c nn/*.c plots/*.c transformer/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/liblmlab.a
# the program: main's table of commands, and compare (the one command that knows every family)
MAIN_OBJ := $(BUILD)/lmlab.o $(BUILD)/compare.o

TEST_SRC := $(wildcard tests/unit/*.c tests/cli/*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(BUILD)/tests/suite

# Exercises: chapters/NN-topic/{exercises.c,check.c}; the lab's reference binding is
# tests/exercises/ref_NN.c. The student's build links exercises.c, the reference build
# links ref_NN.c, the stub build links the exercises.c that git committed.
CHAPTERS := $(sort $(dir $(wildcard chapters/*/check.c)))
CH_NUMS  := $(foreach d,$(CHAPTERS),$(firstword $(subst -, ,$(notdir $(d:/=)))))

DEBIAN_PKGS := gcc libc6-dev make gnuplot-nox fonts-dejavu-core libpcre2-dev libcriterion-dev
FUZZ_PKGS   := clang libclang-rt-14-dev
ifeq ($(BLAS),openblas)
DEBIAN_PKGS += libopenblas-dev
endif
BENCH_PKGS  := python3-nltk python3-sklearn python3-gensim libopenblas0-pthread time python3-torch \
               sentencepiece
# only to regenerate the committed fixtures (make fixtures); make test never needs them
FIXTURE_PKGS := python3-nltk python3-sklearn python3-torch python3-regex

.PHONY: FORCE all deps demo test test-suite test-matmul-paths check run-student check-chapters \
	bench bench-matmul bench-gpt clean help fixtures format kenlm-check fuzz

all: deps $(LMLAB)

# --- dependencies --------------------------------------------------------------------------
# Installs the Debian packages that dpkg does not find, after one apt-get update (a bare
# machine has no package lists). Needs root or sudo; names what it could not get.
deps:
	$(Q)scripts/deps.sh $(DEBIAN_PKGS)

# --- build ---------------------------------------------------------------------------------
# the optimizers' loops take sqrtf, whose errno branch would keep them from vectorising
$(BUILD)/nn/optim.o: BASEFLAGS += -fno-math-errno

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(LMLAB): $(MAIN_OBJ) $(LIB) $(BLAS_STAMP)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIB) $(LDLIBS)

$(TEST_BIN): $(TEST_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIB) $(LDLIBS) -lcriterion

# exercise binaries: check.c + (student | reference | committed stub)
$(BUILD)/ex/%/check.o: chapters/%/check.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -Ichapters/$* -c $< -o $@

$(BUILD)/ex/%/student.o: chapters/%/exercises.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -Ichapters/$* -c $< -o $@

# the stub as git committed it (so a student's edits never mask a stub that passes), or the
# file itself outside a checkout
$(BUILD)/ex/%/stub.c: FORCE
	@mkdir -p $(dir $@)
	$(Q)git show HEAD:chapters/$*/exercises.c > $@.tmp 2>/dev/null && mv $@.tmp $@ || \
	    { rm -f $@.tmp; cp chapters/$*/exercises.c $@; }

$(BUILD)/ex/%/stub.o: $(BUILD)/ex/%/stub.c
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -Ichapters/$* -c $< -o $@

.SECONDEXPANSION:
# the reference binding of chapter NN-topic is tests/exercises/ref_NN.c
$(BUILD)/ex/%/ref.o: tests/exercises/ref_$$(firstword $$(subst -, ,$$*)).c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -Ichapters/$* -c $< -o $@

$(BUILD)/ex/%/bin-student: $(BUILD)/ex/%/check.o $(BUILD)/ex/%/student.o $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion
$(BUILD)/ex/%/bin-ref: $(BUILD)/ex/%/check.o $(BUILD)/ex/%/ref.o $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion
$(BUILD)/ex/%/bin-stub: $(BUILD)/ex/%/check.o $(BUILD)/ex/%/stub.o $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

FORCE:

# keep the exercise objects: make would delete them as intermediates after every check
.SECONDARY:

# make check CH=02 (or CH=2, or CH=ngrams): the chapter's exercise tests against the student's
# file, in the order of exercises.h
check: deps
	$(Q)d=$$(scripts/chapter-dir.sh "$(CH)") || exit 2; \
	  $(MAKE) -s --no-print-directory $(BUILD)/ex/$$d/bin-student && \
	  $(BUILD)/ex/$$d/bin-student --verbose=1 --full-stats -j1 2>&1 | scripts/check-report.sh

# make run-student CH=02 [ARGS='ngram train ...']: ./lmlab with the student's functions in the
# lab's place. The library is compiled again under build/student/ with -fPIC, whose calls to a
# global function go through its symbol even inside one file, so chapters/NN/bind.c, linked
# first with --allow-multiple-definition, replaces the lab's definition everywhere.
STUDENT_OBJ := $(LIB_SRC:%.c=build/student/lib/%.o) build/student/lib/lmlab.o \
	build/student/lib/compare.o

build/student/lib/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (student build)")
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -fPIC -fsemantic-interposition -c $< -o $@

build/student/%/bind.o: chapters/%/bind.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -Ichapters/$* -c $< -o $@

build/student/%/exercises.o: chapters/%/exercises.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -Ichapters/$* -c $< -o $@

build/student/%/lmlab: build/student/%/bind.o build/student/%/exercises.o $(STUDENT_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -Wl,--allow-multiple-definition -o $@ $^ $(LDLIBS)

run-student: deps $(LMLAB)
	$(Q)d=$$(scripts/chapter-dir.sh "$(CH)") || exit 2; \
	  $(MAKE) -s --no-print-directory build/student/$$d/lmlab && \
	  scripts/run-student.sh $$d $(ARGS)

# make check-chapters: every command a chapter README (and README.md) shows in a ```console
# block is run again and its output compared with the text (scripts/check-chapters.sh)
check-chapters: all
	$(Q)scripts/check-chapters.sh

# --- tests ---------------------------------------------------------------------------------
test: deps
	$(Q)$(MAKE) --no-print-directory test-suite
	$(Q)$(MAKE) --no-print-directory check-chapters
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 test-suite

EX_DIRS := $(foreach d,$(CHAPTERS),$(notdir $(d:/=)))

test-suite: $(LMLAB) $(TEST_BIN) $(foreach d,$(EX_DIRS),$(BUILD)/ex/$(d)/bin-ref $(BUILD)/ex/$(d)/bin-stub)
	@echo "== exercises: bound to the lab's reference, every test must pass ($(BUILD))"
	$(Q)for d in $(EX_DIRS); do $(BUILD)/ex/$$d/bin-ref -j2 --timeout=60 > $(BUILD)/ex/$$d/ref.log 2>&1 \
	    || { cat $(BUILD)/ex/$$d/ref.log; echo "exercise reference failed: $$d"; exit 1; }; \
	    tail -n 1 $(BUILD)/ex/$$d/ref.log | sed "s|^|  $$d: |"; done
	@echo "== exercises: the untouched stubs, every test must fail ($(BUILD))"
	$(Q)for d in $(EX_DIRS); do $(BUILD)/ex/$$d/bin-stub -j2 --timeout=20 > $(BUILD)/ex/$$d/stub.log 2>&1; \
	    scripts/stub-check.sh $(BUILD)/ex/$$d/stub.log $$d || exit 1; done
	$(Q)$(MAKE) --no-print-directory test-matmul-paths
	@echo "== unit and command tests ($(BUILD))"
	$(Q)rm -rf $(BUILD)/tmp && mkdir -p $(BUILD)/tmp
	$(Q)LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 LMLAB=$(abspath $(LMLAB)) LMLAB_ROOT=$(CURDIR) LMLAB_TEST_TMP=$(CURDIR)/$(BUILD)/tmp $(TEST_BIN) -j2 --timeout=300

# nn_sgemm's kernels that this CPU does not pick: the portable one, and the AVX-512 tile and
# blocks written in generic vectors (nn/matmul.c), each linked with test_matmul.c
MATMUL_PATHS := scalar tile12x32
MATMUL_FLAGS_scalar := -mno-avx2 -mno-fma
MATMUL_FLAGS_tile12x32 := -DNN_MATMUL_TILE_12X32

$(BUILD)/matmul-%/suite: nn/matmul.c nn/nn.h $(BUILD)/tests/unit/test_matmul.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) $(MATMUL_FLAGS_$*) -c $< -o $(dir $@)matmul.o
	$(Q)$(CC) $(LDFLAGS) -o $@ $(BUILD)/tests/unit/test_matmul.o $(dir $@)matmul.o $(LIB) \
	    $(LDLIBS) -lcriterion

test-matmul-paths: $(foreach p,$(MATMUL_PATHS),$(BUILD)/matmul-$(p)/suite)
	@echo "== matmul tests on the other kernels: $(MATMUL_PATHS) ($(BUILD))"
	$(Q)for p in $(MATMUL_PATHS); do $(BUILD)/matmul-$$p/suite -j2 --timeout=300 \
	    > $(BUILD)/matmul-$$p/log 2>&1 || { cat $(BUILD)/matmul-$$p/log; exit 1; }; \
	    tail -n 1 $(BUILD)/matmul-$$p/log | sed "s|^|  $$p: |"; done

# make kenlm-check KENLM=DIR: KenLM's query, build_binary and lmplz (in DIR, built outside the
# repository; not a Debian package, so not part of `make test`) against lmlab's perplexities
kenlm-check: all
	$(Q)test -n "$(KENLM)" || \
	    { echo "usage: make kenlm-check KENLM=DIR  (DIR holds KenLM's query, build_binary, lmplz)"; exit 2; }
	$(Q)LMLAB=$(abspath $(LMLAB)) sh tests/kenlm_check.sh $(KENLM)

# --- fuzzing -------------------------------------------------------------------------------
# make fuzz: libFuzzer (clang) with ASan+UBSan over every reader of outside data, each target
# for FUZZ_SECONDS from its seed corpus (tests/fuzz/seeds/<target>/, findings kept under
# build/fuzz/corpus/). A crash, a leak, a hang or an allocation past the limits stops the run
# and leaves the input in build/fuzz/. Without OpenMP: the readers do not use it.
FUZZ_SECONDS ?= 60
TEST_FUZZ_SECONDS ?= 8 # the short run in make test
FUZZ_TARGETS := arpa binary vectors config vocab corpus bpe tokenizer
FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -I. -g -O1 -fno-omit-frame-pointer -Wno-unknown-pragmas \
                -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/%.o)
FUZZ_BINS    := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_FLAGS   := -max_len=4096 -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256 -close_fd_mask=2

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (fuzz)")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

build/fuzz/liblmlab.a: $(FUZZ_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h build/fuzz/liblmlab.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/liblmlab.a -lpcre2-8 -lm

fuzz:
	$(Q)scripts/deps.sh $(DEBIAN_PKGS) $(FUZZ_PKGS)
	$(Q)$(MAKE) -s --no-print-directory $(FUZZ_BINS)
	$(Q)for t in $(FUZZ_TARGETS); do \
	    mkdir -p build/fuzz/corpus/$$t && echo "== fuzz $$t: $(FUZZ_SECONDS) s" && \
	    (cd build/fuzz && ASAN_OPTIONS=detect_leaks=1 ./fuzz_$$t $(FUZZ_FLAGS) \
	        -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 corpus/$$t \
	        ../../tests/fuzz/seeds/$$t > $$t.log 2>&1; status=$$?; \
	     grep -E 'stat::number_of_executed_units|SUMMARY' $$t.log; exit $$status) || \
	    { tail -n 40 build/fuzz/$$t.log; echo "fuzz $$t failed: see build/fuzz/$$t.log"; exit 1; }; \
	done

# --- demo, bench, fixtures -----------------------------------------------------------------
demo: all
	$(Q)scripts/demo.sh

bench: all
	$(Q)scripts/deps.sh $(BENCH_PKGS)
	$(Q)$(PYTHON) bench/bench_ngram.py
	$(Q)mkdir -p build/bench && \
	    $(PYTHON) bench/bench_kenlm_query.py --kenlm "$(KENLM)" > build/bench/kenlm_query.md && \
	    $(PYTHON) bench/section.py bench_kenlm_query.py < build/bench/kenlm_query.md
	$(Q)mkdir -p build/bench && $(PYTHON) bench/bench_tfidf.py > build/bench/tfidf.md && \
	    $(PYTHON) bench/section.py bench_tfidf.py < build/bench/tfidf.md
	$(Q)$(PYTHON) bench/bench_word2vec.py > build/bench/word2vec.md && \
	    $(PYTHON) bench/section.py bench_word2vec.py < build/bench/word2vec.md
	$(Q)$(PYTHON) bench/bench_mlp.py > build/bench/mlp.md && \
	    $(PYTHON) bench/section.py bench_mlp.py < build/bench/mlp.md
	$(Q)$(PYTHON) bench/bench_bpe.py > build/bench/bpe.md && \
	    $(PYTHON) bench/section.py bench_bpe.py < build/bench/bpe.md
	$(Q)$(PYTHON) bench/bench_rnn.py > build/bench/rnn.md && \
	    $(PYTHON) bench/section.py bench_rnn.py < build/bench/rnn.md
	$(Q)$(PYTHON) bench/bench_train.py > build/bench/train.md && \
	    $(PYTHON) bench/section.py bench_train.py < build/bench/train.md
	$(Q)$(PYTHON) bench/bench_kenlm.py $(if $(KENLM),--kenlm $(KENLM)) > build/bench/kenlm.md && \
	    $(PYTHON) bench/section.py bench_kenlm.py < build/bench/kenlm.md
	$(Q)$(PYTHON) bench/bench_memory.py > build/bench/memory.md && if [ -s build/bench/memory.md ]; \
	    then $(PYTHON) bench/section.py bench_memory.py < build/bench/memory.md; fi
	$(Q)$(MAKE) --no-print-directory bench-matmul
	$(Q)$(MAKE) --no-print-directory bench-gpt

# nn_sgemm against OpenBLAS (loaded at run time) and the FMA peak
$(BUILD)/bench/%: bench/%.c bench/fma_peak.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS) -ldl

bench-matmul: $(BUILD)/bench/bench_matmul $(BUILD)/bench/fma_peak
	$(Q)scripts/deps.sh libopenblas0-pthread
	$(Q)$(BUILD)/bench/fma_peak
	$(Q)mkdir -p build/bench && $(BUILD)/bench/bench_matmul > build/bench/matmul.md && \
	    $(PYTHON) bench/section.py bench_matmul.c < build/bench/matmul.md

# one GPT training step against nanoGPT's model in PyTorch (bench/bench_gpt.py, a few minutes)
bench-gpt: all
	$(Q)scripts/deps.sh python3-torch
	$(Q)mkdir -p build/bench && $(PYTHON) bench/bench_gpt.py > build/bench/gpt.md && \
	    $(PYTHON) bench/section.py bench_gpt.py < build/bench/gpt.md

fixtures:
	$(Q)scripts/deps.sh $(FIXTURE_PKGS)
	$(Q)$(PYTHON) tests/fixtures/make_fixtures.py
	$(Q)$(PYTHON) tests/fixtures/make_rng_fixture.py > tests/fixtures/rng_seed1.inc
	$(Q)$(PYTHON) tests/fixtures/sklearn/make_tfidf_fixture.py
	$(Q)$(PYTHON) tests/fixtures/torch/make_layers.py > tests/fixtures/torch/layers.inc
	$(Q)$(PYTHON) tests/fixtures/torch/make_optim.py > tests/fixtures/torch/optim.inc
	$(Q)$(PYTHON) tests/fixtures/torch/make_mlp.py > tests/fixtures/torch/mlp.inc
	$(Q)$(PYTHON) tests/fixtures/torch/make_recurrent.py > tests/fixtures/torch/recurrent.inc
	$(Q)$(PYTHON) tests/fixtures/torch/make_safetensors.py
	$(Q)$(PYTHON) tests/fixtures/torch/safetensors_check.py
	$(Q)$(PYTHON) tests/fixtures/bpe/make_bpe_fixture.py
	$(Q)$(PYTHON) tests/fixtures/bpe/make_byte_map.py
	$(Q)$(PYTHON) tests/fixtures/torch/make_gpt.py
	$(Q)$(PYTHON) tests/fixtures/torch/make_gpt.py --check

format:
	$(Q)clang-format -i $(LIB_SRC) lmlab.c compare.c $(wildcard */*.h)

clean:
	rm -rf build lmlab

help:
	@echo "lmlab targets:"
	@echo "  make             build ./lmlab (installs missing Debian packages first)"
	@echo "  make demo        train n-gram models on 'names', print perplexities, draw charts"
	@echo "  make test        every test, the chapters' commands, a short fuzz run, then the tests"
	@echo "                   again under ASan+UBSan"
	@echo "  make fuzz        libFuzzer over every file reader, FUZZ_SECONDS=60 each (docs/fuzzing.md)"
	@echo "  make check CH=02 check your exercises of a chapter (CH=2 or CH=ngrams work too)"
	@echo "  make run-student CH=02  run the lab with your exercise functions in its place"
	@echo "  make check-chapters  run every command a chapter shows and compare its output"
	@echo "  make kenlm-check KENLM=DIR  lmlab's ARPA files read by KenLM's query (docs/ngram.md)"
	@echo "  make bench       speed against NLTK, scikit-learn, gensim, PyTorch, OpenBLAS, SentencePiece"
	@echo "                   (KENLM=DIR: and KenLM's lmplz and query, built outside the repository)"
	@echo "                   (docs/benchmarks.md)"
	@echo "  make bench-matmul  nn_sgemm against OpenBLAS and this machine's FMA peak"
	@echo "  make bench-gpt   one GPT training step against nanoGPT's model in PyTorch"
	@echo "  make test-matmul-paths  the matmul tests on the kernels this CPU does not pick"
	@echo "  make fixtures    regenerate test fixtures with NLTK / scikit-learn / PyTorch (Debian)"
	@echo "  make deps        install missing Debian packages: $(DEBIAN_PKGS)"
	@echo "  make clean       remove build/ and ./lmlab"
	@echo "options: V=1 (show commands), SANITIZE=1 (ASan+UBSan build under build/san),"
	@echo "         BLAS=openblas (nn_sgemm calls OpenBLAS; installs libopenblas-dev)"

-include $(wildcard build/fuzz/*/*.d)
-include $(STUDENT_OBJ:.o=.d) $(wildcard build/student/*/*.d)
-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(wildcard $(BUILD)/ex/*/*.d)
-include $(wildcard $(BUILD)/bench/*.d)
