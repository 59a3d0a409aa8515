#!/usr/bin/env bash
# Back up the portal's database (and its uploaded files) into a folder, named by date and time.
#
#   scripts/backup.sh [FOLDER]          # FOLDER defaults to ./backups
#
# DATABASE_URL says which database (as for the portal; read from .env when not set):
#   postgres://...   pg_dump in its custom format (-Fc), safe while the portal runs
#   sqlite:///...    sqlite3's online .backup, safe while the portal runs
# MEDIA_ROOT and PRIVATE_MEDIA_ROOT (default media/ and private-media/) are copied as a tar file.
# docs/operations.md says how to restore, and how to check a restore.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ] && [ -f .env ]; then
  DATABASE_URL="$(sed -n 's/^DATABASE_URL=//p' .env | tail -n 1 | tr -d '"'"'")"
fi
DATABASE_URL="${DATABASE_URL:-sqlite:///db.sqlite3}"
FOLDER="${1:-backups}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$FOLDER"
umask 077  # backups hold personal data: readable by their owner only

case "$DATABASE_URL" in
  postgres://*|postgresql://*|pgsql://*)
    target="$FOLDER/msonet-$STAMP.dump"
    pg_dump --format=custom --no-owner --no-privileges --file="$target" \
      --dbname="${DATABASE_URL/#pgsql:/postgresql:}"
    pg_restore --list "$target" >/dev/null  # a dump that cannot be read fails here, not on restore day
    ;;
  sqlite://*)
    path="${DATABASE_URL#sqlite://}"
    path="${path#/}"  # sqlite:///db.sqlite3 is relative, sqlite:////srv/db.sqlite3 absolute
    [ -f "$path" ] || { echo "No SQLite database at $path" >&2; exit 1; }
    target="$FOLDER/msonet-$STAMP.sqlite3"
    sqlite3 "$path" ".backup '$target'"
    [ "$(sqlite3 "$target" 'PRAGMA integrity_check;')" = "ok" ] || { echo "The copy of $path is damaged" >&2; exit 1; }
    ;;
  *)
    echo "DATABASE_URL must start with postgres:// or sqlite://" >&2
    exit 2
    ;;
esac
echo "database: $target"

media=()
for folder in "${MEDIA_ROOT:-media}" "${PRIVATE_MEDIA_ROOT:-private-media}"; do
  [ -d "$folder" ] && media+=("$folder")
done
if [ ${#media[@]} -gt 0 ]; then
  tar -czf "$FOLDER/msonet-files-$STAMP.tar.gz" "${media[@]}"
  echo "files: $FOLDER/msonet-files-$STAMP.tar.gz"
fi
