// Command ratios reads `go test -bench` output (several runs of each
// benchmark, as -count gives) and prints, as a Markdown table, each target
// ratio of the comparison next to what the runs measured. It takes the
// median of each benchmark's runs, so one disturbed run moves nothing.
//
//	go run ./internal/ratios results.txt
//
// With -rounds, each round of the file (the output of one go test run,
// which begins with its "goos:" line) gives a ratio of its own, and the
// table shows their range and median: min–max (median).
//
//	go run ./internal/ratios -rounds results-persist.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// samples maps a benchmark name (without the -GOMAXPROCS suffix) and a unit
// to the values of its runs.
type samples map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads the file at path: all of it as one samples, and each round
// (from one "goos:" line to the next) as one.
func parse(path string) (all samples, rounds []samples, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	all = samples{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "goos:") || rounds == nil {
			rounds = append(rounds, samples{})
		}
		r := rounds[len(rounds)-1]
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(fields[0], "Benchmark"), "")
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			all.add(name, fields[i+1], v)
			r.add(name, fields[i+1], v)
		}
	}
	return all, rounds, sc.Err()
}

func (s samples) add(name, unit string, v float64) {
	if s[name] == nil {
		s[name] = map[string][]float64{}
	}
	s[name][unit] = append(s[name][unit], v)
}

func (s samples) median(name, unit string) (float64, bool) {
	vs := slices.Clone(s[name][unit])
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2, true
	}
	return vs[len(vs)/2], true
}

// A target is "num/den ≤ max" for one unit, or with den "" "num ≤ max".
type target struct {
	what     string
	num, den string
	unit     string
	max      float64
	absolute bool // compare num itself with max, not a ratio
	diff     bool // compare num − den with max
}

var targets = []target{
	{what: "Cookies(), 1,000 cookies on the host, vs stdlib", num: "JarCookiesOneHost/impl=ours", den: "JarCookiesOneHost/impl=stdlib", unit: "ns/op", max: 0.25},
	{what: "Cookies(), 1,000 cookies: allocations (≤ cookies + 2)", num: "JarCookiesOneHost/impl=ours", unit: "allocs/op", max: 1002, absolute: true},
	{what: "Cookies() in a 100,000-cookie jar vs stdlib", num: "JarCookiesBig/cookies=100000/impl=ours", den: "JarCookiesBig/cookies=100000/impl=stdlib", unit: "ns/op", max: 0.8},
	{what: "SetCookies() in a 100,000-cookie jar vs stdlib", num: "JarSetCookiesBig/cookies=100000/impl=ours", den: "JarSetCookiesBig/cookies=100000/impl=stdlib", unit: "ns/op", max: 0.8},
	{what: "Cookies(): 100,000-cookie jar vs 10,000-cookie jar (size independence)", num: "JarCookiesBig/cookies=100000/impl=ours", den: "JarCookiesBig/cookies=10000/impl=ours", unit: "ns/op"},
	{what: "SetCookies(): 100,000-cookie jar vs 10,000-cookie jar (size independence)", num: "JarSetCookiesBig/cookies=100000/impl=ours", den: "JarSetCookiesBig/cookies=10000/impl=ours", unit: "ns/op"},
	{what: "  same, stdlib, for comparison", num: "JarCookiesBig/cookies=100000/impl=stdlib", den: "JarCookiesBig/cookies=10000/impl=stdlib", unit: "ns/op"},
	{what: "  same, a plain map of cookie slices (the memory floor), for comparison", num: "JarCookiesBig/cookies=100000/impl=map", den: "JarCookiesBig/cookies=10000/impl=map", unit: "ns/op"},
	{what: "64 goroutines, Cookies + SetCookies, vs stdlib", num: "JarParallel/impl=ours", den: "JarParallel/impl=stdlib", unit: "ns/op", max: 0.6},
	{what: "heap per stored cookie vs stdlib", num: "JarMemory/impl=ours", den: "JarMemory/impl=stdlib", unit: "B/cookie", max: 1},
	{what: "save 100,000 cookies vs encoding/json + fsync + rename", num: "Save/cookies=100000/impl=ours", den: "Save/cookies=100000/impl=json", unit: "ns/op", max: 0.5},
	{what: "  same, CPU time", num: "Save/cookies=100000/impl=ours", den: "Save/cookies=100000/impl=json", unit: "cpu-ns/op", max: 0.5},
	{what: "  same, 3,000 cookies", num: "Save/cookies=3000/impl=ours", den: "Save/cookies=3000/impl=json", unit: "ns/op"},
	{what: "merge-save into a file of 100,000 vs persistent-cookiejar", num: "SaveMerge/cookies=100000/impl=ours", den: "SaveMerge/cookies=100000/impl=juju", unit: "ns/op", max: 0.2},
	{what: "  same, CPU time", num: "SaveMerge/cookies=100000/impl=ours", den: "SaveMerge/cookies=100000/impl=juju", unit: "cpu-ns/op", max: 0.2},
	{what: "  same, 3,000 cookies", num: "SaveMerge/cookies=3000/impl=ours", den: "SaveMerge/cookies=3000/impl=juju", unit: "ns/op"},
	{what: "load 100,000 cookies vs encoding/json unmarshal", num: "Load/cookies=100000/impl=ours", den: "Load/cookies=100000/impl=json", unit: "ns/op", max: 0.35},
	{what: "  same, CPU time", num: "Load/cookies=100000/impl=ours", den: "Load/cookies=100000/impl=json", unit: "cpu-ns/op", max: 0.35},
	{what: "load 3,000 cookies vs encoding/json unmarshal", num: "Load/cookies=3000/impl=ours", den: "Load/cookies=3000/impl=json", unit: "ns/op", max: 0.35},
	{what: "  same, CPU time", num: "Load/cookies=3000/impl=ours", den: "Load/cookies=3000/impl=json", unit: "cpu-ns/op", max: 0.35},
	{what: "save unchanged, 100,000 cookies, vs persistent-cookiejar", num: "SaveUnchanged/cookies=100000/impl=ours", den: "SaveUnchanged/cookies=100000/impl=juju", unit: "ns/op"},
	{what: "  same, vs an encoding/json rewrite", num: "SaveUnchanged/cookies=100000/impl=ours", den: "SaveUnchanged/cookies=100000/impl=json", unit: "ns/op"},
	{what: "save unchanged, 3,000 cookies, vs persistent-cookiejar", num: "SaveUnchanged/cookies=3000/impl=ours", den: "SaveUnchanged/cookies=3000/impl=juju", unit: "ns/op"},
	{what: "  same, vs an encoding/json rewrite", num: "SaveUnchanged/cookies=3000/impl=ours", den: "SaveUnchanged/cookies=3000/impl=json", unit: "ns/op"},
	{what: "heap per cookie of a jar loaded from 100,000 cookies", num: "Load/cookies=100000/impl=ours", unit: "heap-B/cookie", absolute: true},
	{what: "bytes per cookie on disk (persistent-cookiejar: see below)", num: "Save/cookies=100000/impl=ours", unit: "disk-B/cookie", max: 250, absolute: true},
	{what: "  persistent-cookiejar bytes per cookie on disk", num: "Save/cookies=100000/impl=juju", unit: "disk-B/cookie", absolute: true},
	{what: "GET with cached token vs static Authorization header", num: "ClientToken/impl=token", den: "ClientToken/impl=static", unit: "ns/op", max: 1.05},
	{what: "  same, CPU time per request", num: "ClientToken/impl=token", den: "ClientToken/impl=static", unit: "cpu-ns/op", max: 1.05},
	{what: "  same, paired (interleaved requests, ratio of medians)", num: "ClientPaired/pair=token-vs-static", unit: "ratio", max: 1.05, absolute: true},
	{what: "  extra allocations for the cached token", num: "ClientToken/impl=token", den: "ClientToken/impl=static", unit: "allocs/op", max: 0, diff: true},
	{what: "GET needing no retry, retry layer vs none", num: "ClientRetry/impl=retry", den: "ClientRetry/impl=noretry", unit: "ns/op", max: 1.03},
	{what: "  same, CPU time per request", num: "ClientRetry/impl=retry", den: "ClientRetry/impl=noretry", unit: "cpu-ns/op", max: 1.03},
	{what: "  same, paired (interleaved requests, ratio of medians)", num: "ClientPaired/pair=retry-vs-noretry", unit: "ratio", max: 1.03, absolute: true},
	{what: "  extra allocations for the retry layer", num: "ClientRetry/impl=retry", den: "ClientRetry/impl=noretry", unit: "allocs/op", max: 0, diff: true},
	{what: "GET, full session vs hand-written headers (floor)", num: "ClientGET/impl=ours", den: "ClientGET/impl=floor", unit: "ns/op", max: 1.05},
	{what: "  same, CPU time per request", num: "ClientGET/impl=ours", den: "ClientGET/impl=floor", unit: "cpu-ns/op", max: 1.05},
	{what: "  same, paired (interleaved requests, ratio of medians)", num: "ClientPaired/pair=ours-vs-floor", unit: "ratio", max: 1.05, absolute: true},
	{what: "GET, full session vs http.Client + net/http/cookiejar", num: "ClientGET/impl=ours", den: "ClientGET/impl=stdlib", unit: "ns/op", max: 0.85},
	{what: "  same, CPU time per request", num: "ClientGET/impl=ours", den: "ClientGET/impl=stdlib", unit: "cpu-ns/op", max: 0.85},
	{what: "  same, paired (interleaved requests, ratio of medians)", num: "ClientPaired/pair=ours-vs-stdlib", unit: "ratio", max: 0.85, absolute: true},
	{what: "  floor vs bare client (expected ≈1.09×)", num: "ClientGET/impl=floor", den: "ClientGET/impl=bare", unit: "ns/op"},
	{what: "  stdlib jar vs bare client (expected ≈1.31×)", num: "ClientGET/impl=stdlib", den: "ClientGET/impl=bare", unit: "ns/op"},
}

func main() {
	perRound := flag.Bool("rounds", false, "a ratio per round: min–max (median) over the rounds")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, "usage: ratios [-rounds] results.txt") }
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	s, rounds, err := parse(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *perRound {
		fmt.Printf("| comparison (%d rounds: min–max (median)) | unit | measured | target | met |\n", len(rounds))
	} else {
		fmt.Println("| comparison (medians) | unit | measured | target | met |")
	}
	fmt.Println("|---|---|---|---|---|")
	for _, t := range targets {
		if !*perRound {
			got, missing := t.measure(s)
			if missing != "" {
				fmt.Printf("| %s | %s | (no data for %s) | | |\n", t.what, t.unit, missing)
				continue
			}
			goal, met := t.judge(got)
			fmt.Printf("| %s | %s | %s | %s | %s |\n", t.what, t.unit, t.format(got), goal, met)
			continue
		}
		var got []float64
		for _, r := range rounds {
			if v, missing := t.measure(r); missing == "" {
				got = append(got, v)
			}
		}
		if len(got) == 0 {
			continue // a file of some benchmarks only: the others' rows say nothing
		}
		slices.Sort(got)
		med := samples{"": {"": got}}
		m, _ := med.median("", "")
		goal, met := t.judge(m) // the median meets the goal or not
		if t.max != 0 && got[len(got)-1] > t.max && met == "yes" {
			met = "yes (median)"
		}
		measured := t.format(got[0])
		if got[0] != got[len(got)-1] {
			measured = strconv.FormatFloat(got[0], 'f', 2, 64) + "–" + t.format(got[len(got)-1])
		}
		fmt.Printf("| %s | %s | %s (%s) | %s | %s |\n", t.what, t.unit, measured, t.format(m), goal, met)
	}
}

// measure returns t's figure in s, or the benchmark s has no data for.
func (t target) measure(s samples) (got float64, missing string) {
	num, ok := s.median(t.num, t.unit)
	if !ok {
		return 0, t.num
	}
	if t.absolute {
		return num, ""
	}
	den, ok := s.median(t.den, t.unit)
	if !ok || (!t.diff && den == 0) {
		return 0, t.den
	}
	if t.diff {
		return num - den, ""
	}
	return num / den, ""
}

// times says whether t's figure is a ratio, written with ×.
func (t target) times() bool { return !t.diff && (!t.absolute || t.unit == "ratio") }

func (t target) format(v float64) string {
	f := strconv.FormatFloat(v, 'f', 2, 64)
	if t.times() {
		f += "×"
	}
	return f
}

// judge returns t's goal and whether got meets it ("" for rows without
// a goal).
func (t target) judge(got float64) (goal, met string) {
	if t.max == 0 && !t.diff {
		return "", ""
	}
	op := "≤ "
	if t.diff {
		op = "Δ ≤ "
	}
	goal = op + strconv.FormatFloat(t.max, 'f', -1, 64)
	if t.times() {
		goal += "×"
	}
	if got > t.max {
		return goal, "**no**"
	}
	return goal, "yes"
}
