// eval/report.html: the numbers as tables and sample queries as image grids,
// one self-contained file (thumbnails inlined) a person can open anywhere.

export interface Thumbnail {
  id: string;
  category: string | null;
  /** data: URL of a small JPEG. */
  src: string;
  caption: string;
  /** Judged against the captions: outlined green (right) or red (wrong). */
  mark?: 'right' | 'wrong';
}

export interface SampleGrid {
  title: string;
  /** The query image, when the query is an image. */
  query?: Thumbnail;
  /** Words for image → tags samples. */
  words?: string[];
  results: Thumbnail[];
}

export interface ReportTable {
  title: string;
  note?: string;
  header: string[];
  rows: (string | number)[][];
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const cell = (value: string | number) => escapeHtml(typeof value === 'number' ? value.toFixed(3) : value);

function renderTable(table: ReportTable): string {
  const head = table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = table.rows.map((row) => `<tr>${row.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('\n');
  const note = table.note ? `<p class="note">${escapeHtml(table.note)}</p>` : '';
  return `<h2>${escapeHtml(table.title)}</h2>${note}<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function renderThumbnail(thumb: Thumbnail, className = ''): string {
  const label = `${thumb.id}${thumb.category ? ` (${thumb.category})` : ''}`;
  const classes = [className, thumb.mark ?? ''].filter(Boolean).join(' ');
  return `<figure class="${classes}"><img src="${thumb.src}" alt="${escapeHtml(label)}" loading="lazy">` +
    `<figcaption>${escapeHtml(thumb.caption)}</figcaption></figure>`;
}

function renderGrid(grid: SampleGrid): string {
  const query = grid.query ? renderThumbnail(grid.query, 'query') : '';
  const words = grid.words ? `<p class="words">${grid.words.map(escapeHtml).join(' · ')}</p>` : '';
  const results = grid.results.map((thumb) => renderThumbnail(thumb)).join('');
  return `<section><h3>${escapeHtml(grid.title)}</h3>${words}<div class="grid">${query}${results}</div></section>`;
}

export function renderReport(input: {
  title: string;
  summary: string[];
  tables: ReportTable[];
  grids: { heading: string; grids: SampleGrid[] }[];
}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 1rem; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; max-width: 60rem; }
.grid { display: flex; flex-wrap: wrap; gap: 6px; }
figure { margin: 0; width: 120px; font-size: 11px; }
figure img { width: 120px; height: 90px; object-fit: cover; display: block; }
figure.query { outline: 3px solid #c60; }
figure.right { outline: 3px solid #2a2; }
figure.wrong { outline: 3px solid #c22; }
.words { font-weight: 600; }
</style></head><body>
<h1>${escapeHtml(input.title)}</h1>
<ul>${input.summary.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>
${input.tables.map(renderTable).join('\n')}
${input.grids.map((part) => `<h2>${escapeHtml(part.heading)}</h2>${part.grids.map(renderGrid).join('\n')}`).join('\n')}
</body></html>
`;
}
