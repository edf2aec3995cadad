/* Sets CLOCK_REALTIME to what it already is: a clock change of zero, which still cancels every
 * TFD_TIMER_CANCEL_ON_SET timer. Lets a test drive tockd's clock-change path without moving
 * the machine's clock. */
#include <stdio.h>
#include <time.h>

int main(void) {
        struct timespec ts;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || clock_settime(CLOCK_REALTIME, &ts) < 0) {
                perror("clock_settime");
                return 1;
        }
        return 0;
}
