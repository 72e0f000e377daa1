// progress.c: timers and the terminal progress bar.
#include "lab.h"

#include <time.h>
#include <unistd.h>

double lab_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void lab_progress_start(LabProgress *p, const char *label, long long total)
{
    p->label = label;
    p->total = total;
    p->start = lab_now();
    p->last_draw = 0;
    p->enabled = isatty(STDERR_FILENO) && !lab_quiet;
}

// 51234 -> "51.2K"
static void human(char *buf, size_t n, double x)
{
    if (x >= 1e9) {
        snprintf(buf, n, "%.1fG", x / 1e9);
    } else if (x >= 1e6) {
        snprintf(buf, n, "%.1fM", x / 1e6);
    } else if (x >= 1e3) {
        snprintf(buf, n, "%.1fK", x / 1e3);
    } else {
        snprintf(buf, n, "%.0f", x);
    }
}

void lab_progress_update(LabProgress *p, long long step, double loss, long long tokens)
{
    if (!p->enabled) {
        return;
    }
    double now = lab_now();
    if (now - p->last_draw < 0.1 && step != p->total) {
        return;
    }
    p->last_draw = now;
    double elapsed = now - p->start;
    char bar[21] = {0};
    int filled = p->total > 0 ? (int)(20 * step / p->total) : 0;
    for (int i = 0; i < 20; i++) {
        bar[i] = i < filled ? '#' : '.';
    }
    fprintf(stderr, "\r%s [%s] %lld", p->label, bar, step);
    if (p->total > 0) {
        fprintf(stderr, "/%lld", p->total);
    }
    if (loss >= 0) {
        fprintf(stderr, "  loss %.4f", loss);
    }
    if (tokens > 0 && elapsed > 0) {
        char rate[32];
        human(rate, sizeof rate, (double)tokens / elapsed);
        fprintf(stderr, "  %s tok/s", rate);
    }
    if (p->total > 0 && step > 0) {
        double eta = elapsed * (double)(p->total - step) / (double)step;
        fprintf(stderr, "  ETA %.0fs", eta);
    }
    fputs("\033[K", stderr); // clear the rest of the line
    fflush(stderr);
}

void lab_progress_end(LabProgress *p)
{
    if (p->enabled) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
