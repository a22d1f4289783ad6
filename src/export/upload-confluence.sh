#!/usr/bin/env bash
# Uploads this export to Confluence Cloud with the REST API v2: pages in manifest.json order
# (parents first), created under their parent, or updated in place when a page with the same
# title is already in the space. Needs bash, curl and jq (1.6 or newer).
#
#   CONFLUENCE_URL=https://your-site.atlassian.net \
#   CONFLUENCE_USER=you@example.com CONFLUENCE_TOKEN=your-api-token \
#   CONFLUENCE_SPACE=KB ./upload-confluence.sh
set -euo pipefail
cd "$(dirname "$0")"
: "${CONFLUENCE_URL:?set CONFLUENCE_URL, for example https://your-site.atlassian.net}"
: "${CONFLUENCE_USER:?set CONFLUENCE_USER to your Atlassian account e-mail}"
: "${CONFLUENCE_TOKEN:?set CONFLUENCE_TOKEN to an API token (id.atlassian.com > Security > API tokens)}"
: "${CONFLUENCE_SPACE:?set CONFLUENCE_SPACE to the key of the space to upload into}"
api="${CONFLUENCE_URL%/}/wiki/api/v2"

call() {
  curl -sS --fail-with-body -u "$CONFLUENCE_USER:$CONFLUENCE_TOKEN" \
    -H "Content-Type: application/json" -H "Accept: application/json" "$@"
}

space_id=$(call -G "$api/spaces" --data-urlencode "keys=$CONFLUENCE_SPACE" | jq -r '.results[0].id // empty')
if [ -z "$space_id" ]; then
  echo "error: no space with key $CONFLUENCE_SPACE at $CONFLUENCE_URL" >&2
  exit 1
fi

# Titles are record text: shown with their control characters as "?", so that none of them
# (an escape sequence, a carriage return) is obeyed by the terminal.
shown() { printf '%s' "${1//[[:cntrl:]]/?}"; }

declare -A ids
count=$(jq '.pages | length' manifest.json)
for ((i = 0; i < count; i++)); do
  file=$(jq -r ".pages[$i].file" manifest.json)
  title=$(jq -r ".pages[$i].title" manifest.json)
  parent=$(jq -r ".pages[$i].parent // empty" manifest.json)
  parent_id=""
  if [ -n "$parent" ]; then parent_id=${ids[$parent]}; fi
  existing=$(call -G "$api/pages" --data-urlencode "space-id=$space_id" --data-urlencode "title=$title" | jq -r '.results[0].id // empty')
  if [ -n "$existing" ]; then
    version=$(call "$api/pages/$existing" | jq '.version.number')
    jq -n --arg id "$existing" --arg t "$title" --rawfile v "$file" --argjson n "$((version + 1))" \
      '{id: $id, status: "current", title: $t, body: {representation: "storage", value: $v}, version: {number: $n}}' |
      call -X PUT "$api/pages/$existing" --data-binary @- >/dev/null
    ids[$title]=$existing
    echo "$((i + 1))/$count updated: $(shown "$title")"
  else
    ids[$title]=$(jq -n --arg s "$space_id" --arg t "$title" --arg p "$parent_id" --rawfile v "$file" \
      '{spaceId: $s, status: "current", title: $t, body: {representation: "storage", value: $v}}
       + (if $p == "" then {} else {parentId: $p} end)' |
      call -X POST "$api/pages" --data-binary @- | jq -r '.id')
    echo "$((i + 1))/$count created: $(shown "$title")"
  fi
done
