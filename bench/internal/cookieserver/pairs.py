# Paired whole-process runs for the CLI comparison in bench/README.md.
#
#   python3 internal/cookieserver/pairs.py ROUNDS 'name=command …' … 'curl=curl …'
#
# Each round runs every command once, the order rotating round by round,
# after one warm-up run of each. It prints each command's median wall and
# CPU time (user + system, from wait4), and the ratio of each command to
# the last one, taken round by round: median (min–max).
import os, shlex, statistics, subprocess, sys, time

rounds = int(sys.argv[1])
cmds = [a.split("=", 1) for a in sys.argv[2:]]
names = [n for n, _ in cmds]
argv = {n: shlex.split(c) for n, c in cmds}


def run(args):
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"{args}: exit status {status}")
    return time.perf_counter() - t0, ru.ru_utime + ru.ru_stime


for n in names:
    run(argv[n])
res = {n: [] for n in names}
for r in range(rounds):
    k = r % len(names)
    for n in names[k:] + names[:k]:
        res[n].append(run(argv[n]))
med = statistics.median
for n in names:
    print(f"{n}: wall {med(w for w, _ in res[n]) * 1e3:.1f} ms, CPU {med(c for _, c in res[n]) * 1e3:.1f} ms (medians)")
base = names[-1]
for n in names[:-1]:
    for i, unit in ((0, "wall"), (1, "CPU")):
        rs = [x[i] / y[i] for x, y in zip(res[n], res[base])]
        print(f"{n} / {base}, {unit}: {med(rs):.2f}× ({min(rs):.2f}–{max(rs):.2f}), {rounds} rounds")
