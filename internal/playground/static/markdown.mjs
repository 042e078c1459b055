// A small Markdown renderer for model answers that cannot produce markup
// of its own: every piece of text is HTML-escaped before any tag is added,
// links keep only http(s) and mailto URLs, and no raw HTML passes through.
// It covers what models write: headings, paragraphs, emphasis, inline and
// fenced code, lists (nested by indentation), block quotes, tables, rules
// and links. Unfinished constructs (a stream that stopped inside a code
// fence) render as far as they go.

export function escapeHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function safeUrl(url) {
  return /^(https?:\/\/|mailto:)/i.test(url) ? url : null;
}

// inline renders emphasis, code, links and line breaks in one line (or a
// paragraph's lines joined by \n).
export function inline(text) {
  let out = '';
  // Code spans first: nothing inside them is Markdown.
  const parts = text.split(/(`+)/);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (/^`+$/.test(p)) {
      const close = parts.indexOf(p, i + 2);
      if (close > i) {
        out += '<code>' + escapeHtml(parts.slice(i + 1, close).join('').replace(/^ (.*) $/s, '$1')) + '</code>';
        i = close;
        continue;
      }
      out += escapeHtml(p);
      continue;
    }
    out += emphasis(p);
  }
  return out;
}

function emphasis(raw) {
  // Links are cut out before escaping so that their URL is checked as
  // written, then every text piece is escaped.
  const linkRe = /\[([^\]\n]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
  let out = '';
  let last = 0;
  for (const m of raw.matchAll(linkRe)) {
    out += decorate(escapeHtml(raw.slice(last, m.index)));
    const url = safeUrl(m[2]);
    const label = decorate(escapeHtml(m[1]));
    out += url ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${label}</a>` : label;
    last = m.index + m[0].length;
  }
  return out + decorate(escapeHtml(raw.slice(last)));
}

// decorate applies emphasis to already escaped text: the markers * _ ~ are
// not touched by escaping, and the replacements add only fixed tags.
function decorate(s) {
  return s
    .replace(/\*\*(?=\S)([^*]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/__(?=\S)([^_]*?\S)__/g, '<strong>$1</strong>')
    .replace(/~~(?=\S)([^~]*?\S)~~/g, '<del>$1</del>')
    .replace(/(^|[^*\w])\*(?=\S)([^*\n]*?\S)\*(?!\*)/g, '$1<em>$2</em>')
    .replace(/(^|[^_\w])_(?=\S)([^_\n]*?\S)_(?![_\w])/g, '$1<em>$2</em>')
    .replace(/\n/g, '<br>');
}

const fenceRe = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const headingRe = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const ruleRe = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const quoteRe = /^ {0,3}>\s?/;
const itemRe = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const tableSepRe = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

function cells(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|')) s = s.slice(0, -1);
  return s.split('|').map((c) => c.trim());
}

function startsBlock(line, next) {
  return fenceRe.test(line) || headingRe.test(line) || ruleRe.test(line) || quoteRe.test(line) || itemRe.test(line) ||
    (line.includes('|') && next !== undefined && tableSepRe.test(next) && next.includes('-'));
}

// render turns Markdown into HTML that is safe to assign to innerHTML.
export function render(md) {
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  return blocks(lines);
}

function blocks(lines) {
  let html = '';
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    let m;
    if ((m = fenceRe.exec(line))) {
      const fence = m[1];
      const lang = m[2];
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence)) body.push(lines[i++]);
      i++; // the closing fence, if any
      const cls = lang ? ` class="language-${escapeHtml(lang)}"` : '';
      html += `<pre><code${cls}>${escapeHtml(body.join('\n'))}</code></pre>`;
      continue;
    }
    if ((m = headingRe.exec(line))) {
      const n = m[1].length;
      html += `<h${n}>${inline(m[2])}</h${n}>`;
      i++;
      continue;
    }
    if (ruleRe.test(line)) {
      html += '<hr>';
      i++;
      continue;
    }
    if (quoteRe.test(line)) {
      const body = [];
      while (i < lines.length && lines[i].trim() && quoteRe.test(lines[i])) body.push(lines[i++].replace(quoteRe, ''));
      html += `<blockquote>${blocks(body)}</blockquote>`;
      continue;
    }
    if (itemRe.test(line)) {
      const [h, next] = list(lines, i);
      html += h;
      i = next;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && tableSepRe.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      const head = cells(line);
      const aligns = cells(lines[i + 1]).map((c) => (c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : ''));
      i += 2;
      const rows = [];
      while (i < lines.length && lines[i].includes('|') && lines[i].trim()) rows.push(cells(lines[i++]));
      const td = (tag, c, k) => `<${tag}${aligns[k] ? ` class="align-${aligns[k]}"` : ''}>${inline(c)}</${tag}>`;
      html += '<table><thead><tr>' + head.map((c, k) => td('th', c, k)).join('') + '</tr></thead><tbody>' +
        rows.map((r) => '<tr>' + head.map((_, k) => td('td', r[k] || '', k)).join('') + '</tr>').join('') + '</tbody></table>';
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() && (para.length === 0 || !startsBlock(lines[i], lines[i + 1]))) para.push(lines[i++].trim());
    html += `<p>${inline(para.join('\n'))}</p>`;
  }
  return html;
}

// list renders the list starting at lines[i] and returns the HTML and the
// index after it. Items indented deeper than the list's own form a nested
// list; other indented lines continue the item.
function list(lines, i) {
  const first = itemRe.exec(lines[i]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const start = ordered ? parseInt(first[2], 10) : 1;
  const items = [];
  while (i < lines.length) {
    const line = lines[i];
    const m = itemRe.exec(line);
    if (m && m[1].length === indent && /\d/.test(m[2]) === ordered) {
      items.push([m[3]]);
      i++;
      continue;
    }
    if (!line.trim()) {
      // A blank line ends the list unless an item follows.
      const nx = lines[i + 1];
      const nm = nx !== undefined && itemRe.exec(nx);
      if (nm && nm[1].length >= indent) {
        i++;
        continue;
      }
      break;
    }
    const lead = line.length - line.trimStart().length;
    if (items.length && lead > indent) {
      items[items.length - 1].push(line.slice(Math.min(lead, indent + 2)));
      i++;
      continue;
    }
    break;
  }
  const tag = ordered ? 'ol' : 'ul';
  const attr = ordered && start !== 1 ? ` start="${start}"` : '';
  const lis = items.map((it) => {
    if (it.length === 1) return `<li>${inline(it[0])}</li>`;
    // The first line is the item's text, the rest (nested lists,
    // continuations) are blocks of their own.
    const rest = it.slice(1);
    return `<li>${inline(it[0])}${itemRe.test(rest[0]) ? blocks(rest) : blocks(rest).replace(/^<p>|<\/p>$/g, ' ')}</li>`;
  });
  return [`<${tag}${attr}>${lis.join('')}</${tag}>`, i];
}
