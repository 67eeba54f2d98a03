#!/usr/bin/env bash
# Renders every view of the workbench to PNG under a virtual X display: the pictures for the
# README, and a way to check layout, clipping and contrast by eye after a UI change.
#
#   app/tools/screenshots.sh [OUTPUT_DIR]        (default: app/docs/screenshots)
#
# Needs xvfb-run (Debian: apt-get install xvfb); uses ImageMagick's convert, when present, to
# keep the files small. Extra Maven flags (e.g. -o) can be passed in MVN_FLAGS.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/app/docs/screenshots}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

cd "$root"
# shellcheck disable=SC2086
mvn -B -q ${MVN_FLAGS:-} -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt

cp="$root/app/target/classes:$root/engine/target/classes:$(cat "$root/app/target/classpath.txt")"
xvfb-run -a -s "-screen 0 1400x900x24" \
  java --add-modules jdk.incubator.vector -Xmx3g -Da2q.home="$root" -Dprism.order=sw -cp "$cp" org.a2q.app.Launcher --screenshots "$out"

if command -v convert >/dev/null; then
  for f in "$out"/*.png; do
    convert "$f" -strip -define png:compression-level=9 "$f"
    # Screens with smooth chart lines can exceed the README budget; 256 colours look the same there.
    if [[ $(stat -c %s "$f") -gt 200000 ]]; then
      convert "$f" -colors 256 -define png:compression-level=9 "$f"
    fi
  done
fi
ls -l "$out"
