#!/usr/bin/env bash
# Follows Docs/AddingAProtocol.md on a temporary copy of the package, so the guide cannot rot:
# copies the job template and the engine template to new folders, adds one line each to
# Package.swift's folder lists and one import and one registration line each to
# Protocols/Standard/StandardProtocols.swift, builds, then runs the new job protocol through
# `tacit simulate` and its own in-process harness test, and the new engine through
# `tacit simulate statistics --engine …`, its own conformance test and the runtime's
# conformance suite (which picks up every registered engine).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
work=$(mktemp -d /tmp/tacit-guide.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0; fail=0
ok() { echo "guide: ok: $*"; pass=$((pass + 1)); }
bad() { echo "guide: FAILED: $*"; fail=$((fail + 1)); }

# 1. A copy of the package as git sees it (tracked and new files, no build folders).
pkg="$work/Tacit"
mkdir -p "$pkg"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$pkg"
cd "$pkg"

# 2. A new job protocol from the job template (Docs/AddingAProtocol.md, "A new job protocol").
cp -R Protocols/Jobs/_Template Protocols/Jobs/GuideTotal
for f in Protocols/Jobs/GuideTotal/*.swift Protocols/Jobs/GuideTotal/Tests/*.swift; do
  sed -i -e 's/TemplateJob/GuideTotal/g' -e 's/TacitJobTemplate/TacitGuideTotal/g' -e 's/"job-template"/"guide-total"/g' "$f"
done
mv Protocols/Jobs/GuideTotal/TemplateJob.swift Protocols/Jobs/GuideTotal/GuideTotal.swift
mv Protocols/Jobs/GuideTotal/Tests/TemplateJobTests.swift Protocols/Jobs/GuideTotal/Tests/GuideTotalTests.swift
sed -i 's|^let jobFolders: \[ProtocolFolder\] = \[$|&\n    ProtocolFolder(folder: "GuideTotal", target: "TacitGuideTotal"),|' Package.swift
sed -i -e 's|^import TacitStatistics$|&\nimport TacitGuideTotal|' -e 's|^            Statistics(),$|&\n            GuideTotal(),|' Protocols/Standard/StandardProtocols.swift

# 3. A new engine from the engine template ("A new engine").
cp -R Protocols/Engines/_Template Protocols/Engines/GuideClear
for f in Protocols/Engines/GuideClear/*.swift Protocols/Engines/GuideClear/Tests/*.swift; do
  sed -i -e 's/TemplateProtocol/GuideClearProtocol/g' -e 's/TemplateEngine/GuideClearEngine/g' -e 's/TacitEngineTemplate/TacitGuideClear/g' \
         -e 's/CleartextShare/GuideClearShare/g' -e 's/"template-cleartext"/"guide-cleartext"/g' "$f"
done
mv Protocols/Engines/GuideClear/TemplateProtocol.swift Protocols/Engines/GuideClear/GuideClearProtocol.swift
mv Protocols/Engines/GuideClear/Tests/TemplateEngineTests.swift Protocols/Engines/GuideClear/Tests/GuideClearTests.swift
sed -i 's|^let engineFolders: \[ProtocolFolder\] = \[$|&\n    ProtocolFolder(folder: "GuideClear", target: "TacitGuideClear"),|' Package.swift
sed -i -e 's|^import TacitShamir$|&\nimport TacitGuideClear|' -e 's|^            ShamirProtocol(),$|&\n            GuideClearProtocol(),|' Protocols/Standard/StandardProtocols.swift

[ "$(grep -c 'Guide' Package.swift)" = 2 ] && ok "Package.swift: one line per new folder" || bad "Package.swift edits"

# 4. Build.
echo "guide: building the copy (a full build)..."
$SWIFT build --build-tests >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; bad "the copy does not build"; echo "guide: $pass passed, $fail failed"; exit 1; }
bin=$($SWIFT build --show-bin-path)

# 5. Inputs, and their plaintext total and mean.
printf 'amount\n10.25\n-3.00\n1200.50\n' >"$work/a.csv"
printf 'amount\n100.00\n0.05\n' >"$work/b.csv"
total=$(python3 -c 'from decimal import Decimal as D; print(sum([D("10.25"),D("-3.00"),D("1200.50"),D("100.00"),D("0.05")]))')
mean=$(python3 -c 'from decimal import Decimal as D, ROUND_HALF_UP as H; print((sum([D("10.25"),D("-3.00"),D("1200.50"),D("100.00"),D("0.05")])/5).quantize(D("0.01"), H))')

out=$("$bin/tacit" simulate guide-total --parties 3 --engine shamir --input a="$work/a.csv" --input b="$work/b.csv" 2>&1) || true
echo "$out" | grep -q "^result = $total " && ok "tacit simulate guide-total = $total" || bad "tacit simulate guide-total: $out"

out=$("$bin/tacit" simulate statistics --parties 2 --engine guide-cleartext --input a="$work/a.csv" --input b="$work/b.csv" --param statistic=mean 2>&1) || true
echo "$out" | grep -q "^result = $mean " && ok "tacit simulate statistics --engine guide-cleartext = $mean" || bad "statistics on guide-cleartext: $out"

# 6. The new folders' own tests (the harness, the engine's conformance) and the runtime's
# conformance suite over every registered engine.
if $SWIFT test --skip-build --filter 'TacitGuideTotalTests|TacitGuideClearTests|ConformanceTests' >"$work/test.log" 2>&1; then
  grep -q 'guide-total\|GuideTotal\|job-template totals' "$work/test.log" && grep -q 'guide-cleartext\|GuideClear\|template-cleartext conforms' "$work/test.log" \
    && ok "the new folders' tests and the conformance suite pass" || { tail -20 "$work/test.log"; bad "the new folders' tests did not run"; }
else
  tail -40 "$work/test.log"; bad "tests of the copy"
fi
echo "guide: $pass passed, $fail failed"
[ "$fail" = 0 ]
