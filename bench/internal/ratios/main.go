// Command ratios reads `go test -bench` output (several runs of each
// benchmark, as -count gives) and prints, as a Markdown table, each target
// ratio of the comparison next to what the runs measured. It takes the
// median of each benchmark's runs, so one disturbed run moves nothing.
//
//	go run ./internal/ratios results.txt
package main

import (
	"bufio"
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

func parse(path string) (samples, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := samples{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(fields[0], "Benchmark"), "")
		if s[name] == nil {
			s[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			s[name][fields[i+1]] = append(s[name][fields[i+1]], v)
		}
	}
	return s, sc.Err()
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
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ratios results.txt")
		os.Exit(2)
	}
	s, err := parse(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("| comparison (medians) | unit | measured | target | met |")
	fmt.Println("|---|---|---|---|---|")
	for _, t := range targets {
		num, ok := s.median(t.num, t.unit)
		if !ok {
			fmt.Printf("| %s | %s | (no data for %s) | | |\n", t.what, t.unit, t.num)
			continue
		}
		got, op := num, "≤ "
		switch {
		case t.absolute:
		case t.diff:
			den, ok := s.median(t.den, t.unit)
			if !ok {
				fmt.Printf("| %s | %s | (no data for %s) | | |\n", t.what, t.unit, t.den)
				continue
			}
			got, op = num-den, "Δ ≤ "
		default:
			den, ok := s.median(t.den, t.unit)
			if !ok || den == 0 {
				fmt.Printf("| %s | %s | (no data for %s) | | |\n", t.what, t.unit, t.den)
				continue
			}
			got, op = num/den, "≤ "
		}
		times := !t.diff && (!t.absolute || t.unit == "ratio")
		measured := strconv.FormatFloat(got, 'f', 2, 64)
		if times {
			measured += "×"
		}
		goal, met := "", ""
		if t.max != 0 || t.diff {
			goal = op + strconv.FormatFloat(t.max, 'f', -1, 64)
			if times {
				goal += "×"
			}
			met = "yes"
			if got > t.max {
				met = "**no**"
			}
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", t.what, t.unit, measured, goal, met)
	}
}
