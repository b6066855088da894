#!/usr/bin/env bash
# Re-create book/_extra_js/vendor/: the JavaScript the static book needs, self-hosted so that widgets and
# equations render with no network (no CDN). Sphinx copies book/_extra_js/ verbatim into the HTML root
# (html_extra_path), so nothing here is injected into every page the way files under _static/ would be.
#
#   requirejs                     -> vendor/require.js              (AMD loader the widget manager needs)
#   @jupyter-widgets/html-manager -> vendor/jupyter-widgets/        (embed-amd.js + the icon fonts next to it)
#   anywidget                     -> vendor/anywidget/index.js      (front end of charlab's widgets)
#   mathjax                       -> vendor/mathjax/                (tex-mml-chtml.js + fonts, TeX extensions, menu)
#
# Versions are pinned here. The anywidget version must match the Python package's `_model_module_version`
# (tests/test_widgets.py checks it). Needs `npm` (only `npm pack`: no node_modules, nothing installed).
# Usage: scripts/vendor_widget_js.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HTML_MANAGER=1.0.15   # @jupyter-widgets/html-manager 1.x is the embedder for ipywidgets 8
REQUIREJS=2.3.8
ANYWIDGET=0.11.0
MATHJAX=3.2.2         # the major version Sphinx 7 uses by default

dest=book/_extra_js/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch() {  # fetch NAME VERSION -> unpacked into $tmp/NAME/package
  local dir="$tmp/${1//\//_}"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz)
  echo "$dir/package"
}

hm=$(fetch @jupyter-widgets/html-manager "$HTML_MANAGER")
rq=$(fetch requirejs "$REQUIREJS")
aw=$(fetch anywidget "$ANYWIDGET")
mj=$(fetch mathjax "$MATHJAX")

rm -rf "$dest"
mkdir -p "$dest/jupyter-widgets" "$dest/anywidget" "$dest/mathjax/output/chtml/fonts" "$dest/mathjax/input/tex" \
  "$dest/LICENSES"

cp "$rq/require.js" "$dest/require.js"
# embed-amd.js computes its public path from its own AMD module URL, so the fonts must sit next to it.
cp "$hm"/dist/embed-amd.js "$hm"/dist/*.woff "$hm"/dist/*.woff2 "$hm"/dist/*.ttf "$hm"/dist/*.eot \
  "$hm"/dist/*.svg "$dest/jupyter-widgets/"
cp "$aw/dist/index.js" "$dest/anywidget/index.js"
cp "$mj/es5/tex-mml-chtml.js" "$dest/mathjax/"
cp -r "$mj/es5/output/chtml/fonts/woff-v2" "$dest/mathjax/output/chtml/fonts/"
cp -r "$mj/es5/input/tex/extensions" "$dest/mathjax/input/tex/"
cp -r "$mj/es5/ui" "$mj/es5/a11y" "$dest/mathjax/"

# Licenses: every package ships MIT/BSD-3/Apache terms that require keeping the notice with the copy.
cp "$hm/dist/embed.js.LICENSE.txt" "$dest/LICENSES/jupyter-widgets-html-manager.bundled-notices.txt"
cp "$aw/LICENSE" "$dest/LICENSES/anywidget.LICENSE.txt"
cp "$mj/LICENSE" "$dest/LICENSES/mathjax.LICENSE.txt"
# requirejs and html-manager have no LICENSE file in their npm tarballs: keep their package.json license field
# and the upstream notice text.
for pkg in "$rq" "$hm"; do
  name=$(node -e 'const p=require(process.argv[1]);console.log(p.name.replace("/","-").replace("@",""))' \
    "$pkg/package.json")
  node -e 'const p=require(process.argv[1]);console.log(`${p.name}@${p.version}\nlicense: ${p.license}\n` +
    `homepage: ${p.homepage || (p.repository && (p.repository.url || p.repository))}`)' "$pkg/package.json" \
    > "$dest/LICENSES/$name.LICENSE.txt"
done
sed -n '1,4p' "$rq/require.js" >> "$dest/LICENSES/requirejs.LICENSE.txt"
cat >> "$dest/LICENSES/jupyter-widgets-html-manager.LICENSE.txt" <<'EOF'

Copyright (c) 2015 Project Jupyter Contributors
All rights reserved.

Redistribution and use in source and binary forms, with or without modification, are permitted provided that the
following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of conditions and the
   following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the
   following disclaimer in the documentation and/or other materials provided with the distribution.
3. Neither the name of the copyright holder nor the names of its contributors may be used to endorse or promote
   products derived from this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES,
INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY,
WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
EOF

cat > "$dest/VERSIONS" <<EOF
@jupyter-widgets/html-manager $HTML_MANAGER
requirejs $REQUIREJS
anywidget $ANYWIDGET
mathjax $MATHJAX
EOF
du -sh "$dest"
