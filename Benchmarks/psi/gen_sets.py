"""Two identifier lists for the PSI benchmark: `receiver.csv` (n_r rows) and `sender.csv`
(n_s rows) with exactly `overlap` identifiers in common, in random order. Identifiers look
like national ID numbers (`ID-` and 12 random digits and letters) so both tools hash the same
bytes. Prints the overlap, which the benchmark checks every tool's answer against."""
import csv, os, random, string, sys

def main():
    n_r, n_s, overlap, seed, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    rng = random.Random(seed)
    alphabet = string.ascii_uppercase + string.digits
    seen = set()
    def fresh():
        while True:
            v = "ID-" + "".join(rng.choice(alphabet) for _ in range(12))
            if v not in seen:
                seen.add(v)
                return v
    common = [fresh() for _ in range(overlap)]
    r = common + [fresh() for _ in range(n_r - overlap)]
    s = common + [fresh() for _ in range(n_s - overlap)]
    rng.shuffle(r)
    rng.shuffle(s)
    os.makedirs(out, exist_ok=True)
    for name, rows in (("receiver.csv", r), ("sender.csv", s)):
        with open(os.path.join(out, name), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id"])
            w.writerows([x] for x in rows)
    print(overlap)

main()
