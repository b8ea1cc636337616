# usage: fixtures.sh TAG SRC
BW=/work/main/.venv/bin/bridgewatch
O=/work/data/als_out
for F in S-core S-full; do
  I=/work/shared/fixtures/$F/input
  PYTHONPATH=$2 $BW score --scorers core --notes $I/notes-00000.tsv --ratings $I/ratings-00000.tsv --status $I/noteStatusHistory-00000.tsv --enrollment $I/userEnrollment-00000.tsv --outdir $O/$1-$F --no-progress > $O/$1-$F.log 2>&1
done
D=/work/data/bce_scale1m
PYTHONPATH=$2 $BW score --scorers core --notes $D/notes-00000.tsv --ratings $D/ratings --status $D/noteStatusHistory-00000.tsv --enrollment $D/userEnrollment-00000.tsv --outdir $O/$1-1m --no-progress > $O/$1-1m.log 2>&1
