#!/bin/sh
# run-student.sh CHAPTER [LMLAB ARGS...]: runs one lmlab command twice, with the student's
# functions in the lab's place (build/student/CHAPTER/lmlab, see chapters/CHAPTER/bind.c) and
# with ./lmlab, and says whether the two printed the same. Without ARGS it runs the chapter's
# own command. Exits 1 when the outputs differ or the student's copy fails.
d=$1
shift
if [ $# = 0 ]; then
    case $d in
        01-*) set -- ngram sweep --dataset timemachine --lowercase --orders 1-6 --smoothings kn \
                  --plot none --out runs/student-01 ;;
        02-*) set -- ngram train --dataset names --order 4 --smoothing kn --plot none \
                  --out runs/student-02 ;;
        03-*) set -- tfidf similar --dataset timemachine --unit paragraph --lowercase \
                  --stop-words english --doc 15 --k 5 --out runs/student-03 ;;
        04-*) set -- mlp train --dataset names --context 5 --embed 16 --hidden 200 --seed 1 \
                  --steps 200 --plot none --out runs/student-04 ;;
        *) echo "lmlab: chapter '$d' has no command of its own: give one in ARGS='...'" >&2
           exit 2 ;;
    esac
fi
student=build/student/$d/lmlab
out=build/student/$d
mkdir -p $out
# the lab's run first, so that the run directory left behind is the student's; LMLAB_ROOT
# makes the copy under build/ find datasets/ as ./lmlab does
./lmlab "$@" > $out/lab.out 2>&1
LMLAB_ROOT=$PWD "$student" "$@" > $out/student.out 2>&1
rc=$?
echo "== lmlab $* (your functions: $student)"
cat $out/student.out
[ $rc = 0 ] || echo "(it exited with status $rc)"
echo
echo "== lmlab $* (the lab's functions: ./lmlab)"
cat $out/lab.out
echo
# timings differ from run to run: the n-gram trainer's tokenize line, the neural trainer's
# speed at the end of a step line and its time on a line of its own
timeless() {
    grep -v '^  tokenize .*s, count' "$1" | sed -e 's/  [0-9.]*[KM]* tok\/s$//' -e '/^  [0-9.]*s$/d'
}
if timeless $out/student.out > $out/student.cmp && timeless $out/lab.out > $out/lab.cmp &&
        cmp -s $out/lab.cmp $out/student.cmp; then
    echo "the same output: the lab runs on your functions exactly as on its own"
    exit 0
fi
echo "the outputs differ: where your numbers part from the lab's, look at the exercise that"
echo "computes them (make check CH=${d%%-*} says which one fails)"
exit 1
