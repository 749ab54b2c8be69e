/**
 * report.html: the markdown report as one self-contained page for exploring — every table (sortable) and
 * every figure of report.md, the figures with a vega-lite spec interactive (vega, vega-lite and vega-embed
 * inlined: no network, opens from file://), the others inlined as their SVG. The markdown stays the primary
 * artifact; this page is rendered from it, so the two cannot disagree on a number.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as vl from 'vega-lite';
import { LEGEND_PARAM } from './pareto.js';
import { ActbenchError, fsError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';

/** The browser builds of vega, vega-lite and vega-embed, read once. */
let libs: string | null = null;
function libraries(): string {
  if (libs !== null) return libs;
  const parts = ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js', 'vega-embed/build/vega-embed.min.js'].map((p) => {
    const pkg = p.split('/')[0];
    let file: string;
    try {
      // the package's entry point lies inside node_modules/<pkg>/; the browser build sits under its build/
      const main = fileURLToPath(import.meta.resolve(pkg));
      const root = main.slice(0, main.lastIndexOf(`${sep}node_modules${sep}${pkg}${sep}`) + `${sep}node_modules${sep}${pkg}`.length);
      file = join(root, p.slice(pkg.length + 1));
      if (!existsSync(file)) throw new Error('absent');
    } catch {
      throw new ActbenchError('REPORT_HTML_LIBRARY', `cannot find ${p} (the browser build of ${p.split('/')[0]}): reinstall actbench's dependencies`, { file: p });
    }
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw fsError(e, file, 'read');
    }
  });
  libs = parts.map((s) => `<script>${s.replace(/<\/script/gi, '<\\/script')}</script>`).join('\n');
  return libs;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Inline markdown of our reports: `code`, **bold**, [text](link), and the <br> the search tables use. */
function inline(s: string): string {
  const codes: string[] = [];
  let t = s.replace(/`([^`]+)`/g, (_, c: string) => `\u0000${codes.push(c) - 1}\u0000`);
  t = esc(t).replace(/&lt;br&gt;/g, '<br>');
  t = t.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  t = t.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, txt: string, href: string) => `<a href="${href}">${txt}</a>`);
  return t.replace(/\u0000(\d+)\u0000/g, (_, k: string) => `<code>${esc(codes[Number(k)])}</code>`);
}

const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());

export interface HtmlOptions {
  /** the folder of report.md: figures without a spec are inlined from their SVG files there */
  dir: string;
  /** interactive figures, keyed by the image file name the markdown links (e.g. 'pareto.svg') */
  figures: Record<string, vl.TopLevelSpec>;
}

/** The markdown of a report (our subset: headings, paragraphs, lists, tables, code blocks, images) as HTML. */
export function markdownToHtml(md: string, o: HtmlOptions, specs: { id: string; spec: vl.TopLevelSpec }[]): string {
  const lines = md.split('\n');
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push(`<p>${inline(para.join(' '))}</p>`);
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const h = /^(#{1,6}) (.*)$/.exec(line);
    const img = /^!\[([^\]]*)\]\(([^)]+)\)$/.exec(line.trim());
    if (line.startsWith('```')) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) code.push(lines[i]);
      out.push(`<pre><code>${esc(code.join('\n'))}</code></pre>`);
    } else if (h) {
      flush();
      out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
    } else if (img) {
      flush();
      const [alt, file] = [img[1], img[2]];
      const spec = o.figures[file];
      if (spec) {
        const id = `fig-${specs.length + 1}`;
        specs.push({ id, spec });
        out.push(`<figure><div id="${id}" class="vega" data-file="${esc(file)}" role="img" aria-label="${esc(alt)}"></div><figcaption>${esc(alt)} (${esc(file)})</figcaption></figure>`);
      } else {
        const path = join(o.dir, file);
        const svg = file.endsWith('.svg') && existsSync(path) ? readFileSync(path, 'utf8').replace(/^<\?xml[^>]*>\s*/, '') : null;
        out.push(svg ? `<figure class="static" data-file="${esc(file)}">${svg}<figcaption>${esc(alt)} (${esc(file)})</figcaption></figure>` : `<p class="missing">figure ${esc(file)} not found next to the report</p>`);
      }
    } else if (line.trim().startsWith('|') && i + 1 < lines.length && /^\|?\s*:?-{3,}/.test(lines[i + 1].trim())) {
      flush();
      const head = cells(line);
      const right = cells(lines[i + 1]).map((c) => c.endsWith(':'));
      const body: string[][] = [];
      for (i += 2; i < lines.length && lines[i].trim().startsWith('|'); i++) body.push(cells(lines[i]));
      i--;
      const td = (c: string, k: number, tag: string) => `<${tag}${right[k] ? ' class="num"' : ''}>${inline(c)}</${tag}>`;
      out.push(`<table class="sortable"><thead><tr>${head.map((c, k) => td(c, k, 'th')).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c, k) => td(c, k, 'td')).join('')}</tr>`).join('')}</tbody></table>`);
    } else if (/^\s*- /.test(line)) {
      flush();
      const items: string[] = [];
      for (; i < lines.length && /^\s*- /.test(lines[i]); i++) items.push(lines[i].replace(/^\s*- /, ''));
      i--;
      out.push(`<ul>${items.map((t) => `<li>${inline(t)}</li>`).join('')}</ul>`);
    } else if (line.trim() === '') {
      flush();
    } else {
      para.push(line.trim());
    }
  }
  flush();
  return out.join('\n');
}

/** Click a column header to sort by it (numbers by value, '–' last), click again to reverse. */
const SORT_SCRIPT = `
function sortKey(t){t=t.trim();var m=/^[-+]?\\d[\\d,]*(\\.\\d+)?(e[-+]?\\d+)?/i.exec(t);return m?{n:Number(m[0].replace(/,/g,''))}:{s:t};}
function cmp(a,b){if(a.n!==undefined&&b.n!==undefined)return a.n-b.n;if(a.n!==undefined)return -1;if(b.n!==undefined)return 1;return a.s.localeCompare(b.s);}
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th,k){
    th.tabIndex=0;th.title='sort by this column';
    th.addEventListener('click',function(){
      var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
      table.querySelectorAll('th').forEach(function(o){o.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',dir===1?'ascending':'descending');
      var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(r,q){var a=sortKey(r.cells[k]?r.cells[k].textContent:''),b=sortKey(q.cells[k]?q.cells[k].textContent:'');var c=cmp(a,b);return (a.s==='–')-(b.s==='–')||dir*c;});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
});`;

const STYLE = `body{font:14px/1.5 system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px;display:block;overflow-x:auto}th,td{border:1px solid #ddd;padding:3px 7px}
th{background:#f4f4f4;cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:' ▲'}th[aria-sort=descending]::after{content:' ▼'}
.num{text-align:right}figure{margin:1.5em 0}figcaption{color:#666;font-size:12px}pre{background:#f6f6f6;padding:.7em;overflow-x:auto}
code{font-size:12px}.note{color:#666;font-size:12px}`;

/**
 * The whole page. Each interactive figure is embedded with vega-embed (SVG renderer, no actions: the
 * action menu links to online editors); `window.actbenchViews` holds the views and `window.actbenchReady`
 * resolves once all have rendered (tests wait on it).
 */
export function reportHtml(md: string, o: HtmlOptions): string {
  const specs: { id: string; spec: vl.TopLevelSpec }[] = [];
  const body = markdownToHtml(md, o, specs);
  const title = /^# (.*)$/m.exec(md)?.[1] ?? 'actbench report';
  const json = JSON.stringify(Object.fromEntries(specs.map((s) => [s.id, s.spec]))).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<style>${STYLE}</style>
${libraries()}
</head><body>
<p class="note">Interactive view of report.md (the primary artifact): hover a point or bar for its exact values, click a legend entry to hide or show an activation, click a table header to sort.</p>
${body}
<script>
var ACTBENCH_SPECS=${json};
window.actbenchViews={};
// vega-lite greys the legend entries outside a selection; our selection holds the hidden activations, so grey those
function invertLegend(node,inLegend){
  if(Array.isArray(node)){node.forEach(function(n){invertLegend(n,inLegend);});return node;}
  if(!node||typeof node!=='object')return node;
  var op=node.opacity;
  if(inLegend&&Array.isArray(op)&&op.length===2&&op[0].test&&op[0].test.indexOf('data("${LEGEND_PARAM}_store")')>=0){node.opacity=[{test:'('+op[0].test+') && length(data("${LEGEND_PARAM}_store"))',value:0.35},{value:1}];}
  Object.keys(node).forEach(function(k){invertLegend(node[k],inLegend||k==='legends');});
  return node;
}
window.actbenchReady=Promise.all(Object.keys(ACTBENCH_SPECS).map(function(id){
  return vegaEmbed('#'+id,ACTBENCH_SPECS[id],{actions:false,renderer:'svg',patch:function(v){return invertLegend(v,false);}}).then(function(r){window.actbenchViews[id]=r.view;});
}));
${SORT_SCRIPT}
</script>
</body></html>
`;
}

/** Writes report.html beside the markdown report; returns its path. */
export function writeReportHtml(mdFile: string, md: string, figures: Record<string, vl.TopLevelSpec>): string {
  const file = join(dirname(mdFile), 'report.html');
  writeFileAtomic(file, reportHtml(md, { dir: dirname(mdFile), figures }));
  return file;
}
