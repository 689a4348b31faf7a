#!/bin/sh
# grade_batch.sh - grade many student submissions of one lab, one CSV line each.
#
# usage: scripts/grade_batch.sh [--quick] LAB SUBMISSIONS_DIR [OUT.csv]
#   SUBMISSIONS_DIR holds one directory per student: their copy of the lab
#   tree (build/labs/labLAB), with their code. Run it in the reference tree.
#   --quick: host tests only (grade.py --quick), for a first pass in seconds.
#
# A student's work is the files that hold the lab's parts (`lab.py files
# LAB`, e.g. mm/buddy.c for lab 1). Each submission is graded in a fresh
# copy of the lab's skeleton with only those files taken from the student,
# so the tests, the rubric, the grader and the harness (selftest.c, the
# Makefile, ...) are the reference's: nobody grades themselves with edited
# tests. Those files are also searched for the grader's result channels
# (port 0xe9, COM2's ports 0x2f8-0x2ff, $PAGODA_RESULTS, RESULT lines); a
# hit is flagged in the CSV's last column for a human to read, since code
# that runs in the kernel could write them. The grader's full output goes
# to OUT.d/STUDENT.txt. One submission at a time, about as long as `make
# grade LAB=n` each.
set -eu
quick=""
if [ "${1:-}" = "--quick" ]; then
	quick=--quick
	shift
fi
if [ $# -lt 2 ]; then
	echo "usage: scripts/grade_batch.sh [--quick] LAB SUBMISSIONS_DIR [OUT.csv]" >&2
	exit 2
fi
lab=$1
dir=$2
out=${3:-grades-lab$lab.csv}
root=$(cd "$(dirname "$0")/.." && pwd)
files=$(python3 "$root/scripts/lab.py" files "$lab") || exit 2
template=$(mktemp -d)
trap 'rm -rf "$template"' EXIT
python3 "$root/scripts/lab.py" skeleton "$lab" "$template/tree" > /dev/null
mkdir -p "$out.d"
echo "student,score,max,flag" > "$out"
for sub in "$dir"/*/; do
	name=$(basename "$sub")
	work=$(mktemp -d)
	cp -a "$template/tree/." "$work/"
	missing=""
	for f in $files; do
		if [ -f "$sub/$f" ]; then cp "$sub/$f" "$work/$f"; else missing="$missing $f"; fi
	done
	flag=""
	if [ -n "$missing" ]; then
		flag="missing:$missing"
	elif (cd "$work" && grep -lE '0xe9|0x2[fF][89a-fA-F]\b|PAGODA_RESULTS|RESULT (PASS|FAIL)|selftest_set_result' \
		$files) > /dev/null 2>&1; then
		flag="uses a result channel: read the code"
	fi
	(cd "$work" && python3 scripts/grade.py $quick "$lab") > "$out.d/$name.txt" 2>&1 || true
	score=$(sed -n 's/^Score: \([0-9]*\)\/\([0-9]*\)$/\1,\2/p' "$out.d/$name.txt")
	echo "$name,${score:-0,?},$flag" >> "$out"
	rm -rf "$work"
done
echo "wrote $out (details in $out.d/)"
