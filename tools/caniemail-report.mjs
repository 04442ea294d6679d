#!/usr/bin/env node
// Checks HTML files against the caniemail.com support data (npm package `caniemail`) and
// prints one JSON object on stdout, for tests/test_email.py to judge:
//
//   {"clients": ["gmail.desktop-webmail", ...],
//    "files": {"<path>": [{"title": "display:flex", "support": "none" | "partial",
//                          "clients": [...], "lines": [12, 40], "notes": [...],
//                          "elements": ["<main>", ...] (element features only)}, ...]}}
//
// usage: node tools/caniemail-report.mjs --clients 'gmail.*,outlook.*' FILE.html ...
//
// caniemail 2.0.2 matches element features by substring of the tag name, so <article>
// is reported as the <rt> element and <td>/<tbody> as <body>, while "HTML5 semantics"
// (<main>, <article>, <header> ...) is never matched. This script drops caniemail's own
// element findings and detects element features again by exact tag name. Likewise CSS
// properties match by prefix, so `overflow-wrap` counts as `overflow`: the properties in
// EXACT_PROPERTIES are matched here by exact name instead. Two more fixes to its data, made
// before the first check: a feature with no data for a client made caniemail throw (now it
// is "partial" with a note saying so), and a client's "latest" test result was the last
// version in string order ("6.1" after "12.2"); it is now the highest version.
import { readFileSync } from 'node:fs';

import { caniemail, parseCss, parseHtml, rawData } from 'caniemail';
import styleToObject from 'style-to-object';

const dist = new URL('./node_modules/caniemail/dist/', import.meta.url);
const { elementTitles } = await import(new URL('html-titles.js', dist));
const { propertyTitles } = await import(new URL('css-titles.js', dist));
const { checkFeatures } = await import(new URL('checks/check-features.js', dist));
const { clientNames, parseClients } = await import(new URL('clients.js', dist));
const { FeatureMap } = await import(new URL('features.js', dist));
const { LocationIndex } = await import(new URL('location.js', dist));

const NO_DATA_NOTE = '900';
const byVersion = (a, b) => a.localeCompare(b, 'en', { numeric: true });
for (const feature of rawData.data) {
  feature.stats ??= {};
  for (const client of clientNames) {
    const [family, platform] = client.split('.');
    const versions = feature.stats[family]?.[platform];
    feature.stats[family] ??= {};
    if (versions === undefined || Object.keys(versions).length === 0) {
      feature.stats[family][platform] = { 'no data': `u #${NO_DATA_NOTE}` };
      feature.notes_by_num = {
        ...feature.notes_by_num,
        [NO_DATA_NOTE]: 'caniemail has no data for this client.',
      };
    } else {
      const latest = Object.keys(versions).sort(byVersion).at(-1);
      feature.stats[family][platform] = { [latest]: versions[latest] };
    }
  }
}

function parseArgs(argv) {
  const files = [];
  let globs = ['*'];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--clients') {
      globs = argv[i + 1].split(',').map((glob) => glob.trim()).filter(Boolean);
      i += 1;
    } else {
      files.push(argv[i]);
    }
  }
  if (files.length === 0) {
    process.stderr.write('usage: caniemail-report.mjs [--clients GLOBS] FILE.html ...\n');
    process.exit(2);
  }
  return { files, globs };
}

// Element features by exact tag name: {"<main> element" : ["main"], "HTML5 semantics": [...]}.
const elementFeatureTags = Object.entries(elementTitles).map(([title, tags]) => [
  title,
  [tags].flat(),
]);

// Feature title -> the property names that are that feature (caniemail's prefix match would
// also take `overflow-wrap` for `overflow`). Removed from caniemail's own table below.
const EXACT_PROPERTIES = { overflow: ['overflow', 'overflow-x', 'overflow-y'] };
for (const title of Object.keys(EXACT_PROPERTIES)) delete propertyTitles[title];

const exactPropertyTitles = (names) =>
  Object.entries(EXACT_PROPERTIES)
    .filter(([, properties]) => names.some((name) => properties.includes(name)))
    .map(([title]) => title);

function declaredProperties(rules) {
  const names = [];
  for (const rule of rules ?? []) {
    for (const declaration of rule.declarations ?? []) {
      if (declaration.property) names.push(declaration.property.toLowerCase());
    }
    names.push(...declaredProperties(rule.rules)); // inside @media and the like
  }
  return names;
}

function elementIssues(html, clients, tagsByTitle) {
  const issues = { errors: new FeatureMap(), warnings: new FeatureMap() };
  const { document } = parseHtml(html);
  const index = new LocationIndex(html);
  const visit = (node) => {
    if (node.type === 'directive' && /^!doctype\s+html\s*$/i.test(node.data)) {
      const position = index.positionOf(node.startIndex, node.endIndex) ?? undefined;
      checkFeatures({ clients, issues, titles: ['HTML5 doctype'], position });
    }
    if (node.type === 'tag' || node.type === 'style' || node.type === 'script') {
      const position = index.positionOf(node.startIndex, node.endIndex) ?? undefined;
      const titles = elementFeatureTags
        .filter(([, tags]) => tags.includes(node.name))
        .map(([title]) => title);
      for (const title of titles) {
        if (!tagsByTitle.has(title)) tagsByTitle.set(title, new Set());
        tagsByTitle.get(title).add(`<${node.name}>`);
      }
      const style = node.attribs?.style;
      if (style) {
        const declared = Object.keys(styleToObject(style) ?? {}).map((name) => name.toLowerCase());
        titles.push(...exactPropertyTitles(declared));
      }
      if (node.name === 'style') {
        const sheet = parseCss(node.children.map((child) => child.data ?? '').join(''));
        titles.push(...exactPropertyTitles(declaredProperties(sheet.stylesheet?.rules)));
      }
      checkFeatures({ clients, issues, titles, position });
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(document);
  return issues;
}

function collect(found, issues, skipTitles) {
  for (const [kind, support] of [['errors', 'none'], ['warnings', 'partial']]) {
    for (const [client, list] of issues[kind]) {
      for (const issue of list) {
        if (skipTitles.has(issue.title)) continue;
        const key = `${support}\u0000${issue.title}`;
        if (!found.has(key)) {
          found.set(key, {
            title: issue.title,
            support,
            clients: new Set(),
            lines: new Set(),
            notes: new Set(),
          });
        }
        const entry = found.get(key);
        entry.clients.add(client);
        if (issue.position?.start?.line) entry.lines.add(issue.position.start.line);
        for (const note of issue.notes ?? []) entry.notes.add(note);
      }
    }
  }
}

const { files, globs } = parseArgs(process.argv.slice(2));
const clients = parseClients(globs);
const report = { clients, files: {} };
const elementTitleSet = new Set(Object.keys(elementTitles));
for (const file of files) {
  const html = readFileSync(file, 'utf8');
  const found = new Map();
  const tagsByTitle = new Map();
  collect(found, caniemail({ clients: globs, html }).issues, elementTitleSet);
  collect(found, elementIssues(html, clients, tagsByTitle), new Set());
  report.files[file] = [...found.values()].map((entry) => ({
    title: entry.title,
    support: entry.support,
    elements: [...(tagsByTitle.get(entry.title) ?? [])],
    clients: [...entry.clients].sort(),
    lines: [...entry.lines].sort((a, b) => a - b),
    notes: [...entry.notes],
  }));
}
process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
