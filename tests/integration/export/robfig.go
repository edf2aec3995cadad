// tests/integration/export/robfig.go: the fire times of CronJob schedules as Kubernetes computes
// them, with the library its CronJob controller uses (robfig/cron v3.0.1, Debian's
// golang-github-robfig-cron-dev), called as the controller calls it:
// cron.ParseStandard("TZ=" + timeZone + " " + schedule), then Next() again and again.
//
// Standard input, one request a line, tab-separated: OUTFILE TZ SCHEDULE FROM(RFC 3339) COUNT.
// Each OUTFILE gets COUNT instants, one a line, "YYYY-MM-DD HH:MM:SS" in UTC.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Split(in.Text(), "\t")
		if len(f) != 5 {
			fmt.Fprintf(os.Stderr, "bad request: %q\n", in.Text())
			os.Exit(2)
		}
		sched, err := cron.ParseStandard("TZ=" + f[1] + " " + f[2])
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", f[2], err)
			os.Exit(1)
		}
		t, err := time.Parse(time.RFC3339, f[3])
		n, err2 := strconv.Atoi(f[4])
		if err != nil || err2 != nil {
			fmt.Fprintf(os.Stderr, "bad request: %q\n", in.Text())
			os.Exit(2)
		}
		out, err := os.Create(f[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for i := 0; i < n; i++ {
			t = sched.Next(t)
			if t.IsZero() {
				break
			}
			fmt.Fprintln(out, t.UTC().Format("2006-01-02 15:04:05"))
		}
		out.Close()
	}
}
