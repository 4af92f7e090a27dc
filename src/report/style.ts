// The report page's stylesheet (inlined into the HTML; light and dark schemes, colour-blind-safe palette).

/** CSS of the report page. */
export const REPORT_CSS = `
:root {
  --bg: #fbfbfa; --fg: #1d2329; --dim: #67707a; --card: #ffffff; --line: #dfe2e6; --shade: #f1f3f5;
  --done: #3b73b9; --retry: #e69f00; --fail: #d1362f; --fatal: #7a0a0a; --dup: #a3a9b0; --util: #1b9e77;
  --events: #3b73b9; --ranges: #aa3377; --gap: #e9ecef; --good: #1b7a4a; --warn: #9a6100; --bad: #b3261e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15181c; --fg: #e4e7ea; --dim: #98a1ab; --card: #1d2126; --line: #343a41; --shade: #20252b;
    --done: #5b93d9; --retry: #f0b323; --fail: #ff6b61; --fatal: #ffb3ad; --dup: #6c757d; --util: #3fcf9e;
    --events: #5b93d9; --ranges: #e07bb5; --gap: #2a3036; --good: #5fd39a; --warn: #f0b323; --bad: #ff8a80;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
/* 1180 - 2 x 24 (main) - 2 x 17 (section) = 1098 px: CHART_WIDTH in html.ts. */
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 40px; }
header h1 { font-size: 22px; margin: 0 0 4px; font-weight: 650; }
header .sub { color: var(--dim); font-size: 13px; }
h2 { font-size: 16px; margin: 28px 0 8px; font-weight: 650; }
h2 .dim, .dim { color: var(--dim); font-weight: normal; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px 14px; margin-top: 14px; }
section > h2:first-child { margin-top: 0; }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; margin-top: 16px; }
@media (max-width: 700px) { .cards { grid-template-columns: repeat(2, 1fr); } }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .k { color: var(--dim); font-size: 12px; white-space: nowrap; }
.card .v { white-space: nowrap; font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .v small { font-size: 13px; font-weight: normal; color: var(--dim); }
.card.bad .v { color: var(--bad); } .card.good .v { color: var(--good); } .card.warn .v { color: var(--warn); }
.scroll { overflow-x: auto; }
.legend { display: flex; flex-wrap: wrap; gap: 16px; font-size: 13px; color: var(--dim); margin: 2px 0 8px; }
.legend i { display: inline-block; width: 14px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.legend .axis-hint { margin-left: auto; }
.note { color: var(--dim); font-size: 13px; margin: 6px 0; }
.ok-note { color: var(--good); margin: 4px 0; }
svg.chart { display: block; font-size: 12px; }
svg text { fill: var(--fg); }
svg .tick { fill: var(--dim); font-variant-numeric: tabular-nums; }
svg .lane-label { font-size: 12px; font-variant-numeric: tabular-nums; }
svg .run-label { fill: var(--dim); font-size: 11px; }
svg .row-shade { fill: var(--shade); }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { stroke: var(--dim); stroke-width: 1; }
svg .run-line { stroke: var(--dim); stroke-dasharray: 3 3; }
svg .ref { stroke: var(--dim); stroke-dasharray: 4 4; }
svg .gap { fill: var(--gap); }
svg .bar { stroke: var(--card); stroke-width: 0.6; }
svg .bar:hover { stroke: var(--fg); stroke-width: 1.5; }
svg .done, .legend .done, svg .seg, .legend .seg { fill: var(--done); background: var(--done); }
svg .retry, .legend .retry { fill: var(--retry); background: var(--retry); }
svg .dup, .legend .dup { fill: var(--dup); background: var(--dup); }
svg .fail, .legend .fail { fill: var(--fail); background: var(--fail); }
svg .fatal, .legend .fatal { fill: var(--fatal); background: var(--fatal); }
svg.dense .bar { stroke: none; }
svg .bar.fail, svg .bar.fatal { stroke: var(--fg); stroke-width: 0.8; }
svg .area { opacity: .22; stroke: none; }
svg .line { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
svg .area.util { fill: var(--util); } svg .line.util { stroke: var(--util); }
svg .area.events { fill: var(--events); } svg .line.events { stroke: var(--events); }
svg .area.ranges { fill: var(--ranges); } svg .line.ranges { stroke: var(--ranges); }
svg .hover { fill: transparent; } svg .hover:hover { fill: var(--fg); opacity: .06; }
.chart-title { font-size: 13px; font-weight: 600; margin: 6px 0 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { color: var(--dim); font-weight: 600; font-size: 12px; }
table.num td { font-variant-numeric: tabular-nums; }
table.params th { width: 150px; color: var(--dim); font-weight: 600; }
tr.fatal-row td { background: color-mix(in srgb, var(--bad) 9%, transparent); }
td .msg { word-break: break-word; }
table.failures td:not(:nth-child(6)) { white-space: nowrap; }
code, pre { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
pre { background: var(--shade); padding: 10px; border-radius: 6px; overflow-x: auto; }
details summary { cursor: pointer; color: var(--dim); margin-top: 8px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
.badge.good { color: var(--good); } .badge.warn { color: var(--warn); } .badge.bad { color: var(--bad); }
footer { color: var(--dim); font-size: 12px; margin-top: 24px; }
`;
