// The public board keeps itself up to date: it asks the server every second whether the board
// changed (a cheap version) and redraws the rows only then. A server restart is just a few
// failed asks; the next one that answers brings the board back. On a TV the rows that do not
// fit are shown a page at a time.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("board-config").textContent);
  const rows = document.getElementById("lines");
  const pageOf = document.getElementById("page-of");
  let version = config.version;
  let lines = null; // the board's rows as last fetched (null: those the page was served with)
  let page = 0;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_match, key) => String(values[key]));
  }

  function cell(text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function row(line) {
    const tr = document.createElement("tr");
    tr.append(cell(line.rank, "number"));
    const name = cell(line.name, "name");
    if (line.star_of_quarter) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = config.strings.star_of_quarter;
      name.append(" ", badge);
    }
    tr.append(name);
    if (config.community) tr.append(cell(line.branch || "", "branch"));
    tr.append(cell(line.quarter_points, "number points"), cell(line.year_points, "number"),
      cell(line.cumulative, "number"));
    const stars = cell("★".repeat(line.stars), "stars");
    stars.setAttribute("aria-label", fill(config.strings.stars, { n: line.stars }));
    tr.append(stars);
    return tr;
  }

  function draw(board) {
    lines = board.lines;
    document.getElementById("updated").textContent = board.updated;
    document.body.dataset.status = board.status;
    rows.replaceChildren(...lines.map(row));
    page = 0;
    showPage();
  }

  // TV: as many rows as fit between the header and the page number, then the next page
  function showPage() {
    if (config.mode !== "tv") return;
    const all = Array.from(rows.children);
    all.forEach((tr) => { tr.hidden = false; });
    const room = window.innerHeight - rows.getBoundingClientRect().top - 60;
    const height = all.length ? all[0].getBoundingClientRect().height : 1;
    const perPage = Math.max(1, Math.floor(room / height));
    const pages = Math.max(1, Math.ceil(all.length / perPage));
    page = page % pages;
    all.forEach((tr, index) => { tr.hidden = Math.floor(index / perPage) !== page; });
    pageOf.hidden = pages < 2;
    pageOf.textContent = fill(config.strings.page, { n: page + 1, total: pages });
    document.body.dataset.pages = String(pages);
    document.body.dataset.page = String(page + 1);
  }

  async function poll() {
    try {
      const answer = await fetch(config.version_api, { cache: "no-store" });
      if (answer.ok) {
        const latest = (await answer.json()).version;
        if (latest !== version) {
          const board = await fetch(config.api, { cache: "no-store" });
          if (board.ok) {
            const body = await board.json();
            version = body.version;
            draw(body);
          }
        }
      }
    } catch (_error) {
      // the server is away (a restart): ask again at the next tick
    }
    window.setTimeout(poll, config.poll_seconds * 1000);
  }

  if (config.mode === "tv") {
    showPage();
    window.setInterval(() => { page += 1; showPage(); }, config.page_seconds * 1000);
    window.addEventListener("resize", showPage);
  }
  window.setTimeout(poll, config.poll_seconds * 1000);
})();
