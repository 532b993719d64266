// Small charts drawn as inline SVG: horizontal bars and a daily column chart.
"use strict";

const Charts = {
  NS: "http://www.w3.org/2000/svg",

  svg(width, height) {
    const svg = document.createElementNS(this.NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("role", "img");
    return svg;
  },

  node(tag, attrs, text) {
    const n = document.createElementNS(this.NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  },

  // rows: [{label, value, color, note}] drawn as one bar each, longest = full width.
  bars(container, rows, { max, unit = "" } = {}) {
    container.replaceChildren();
    const rowHeight = 24, labelWidth = 120, width = 480;
    const top = Math.max(max || 0, ...rows.map((r) => r.value), 1);
    const svg = this.svg(width, rows.length * rowHeight + 4);
    rows.forEach((r, i) => {
      const y = i * rowHeight + 2;
      const w = Math.max(0, ((width - labelWidth - 60) * r.value) / top);
      svg.append(this.node("text", { x: 0, y: y + 15 }, r.label));
      const bar = this.node("rect", { x: labelWidth, y: y + 3, width: w, height: rowHeight - 8, rx: 3, fill: r.color || "#2b6cb0" });
      bar.append(this.node("title", {}, `${r.label}: ${r.value}${unit}`));
      svg.append(bar);
      svg.append(this.node("text", { x: labelWidth + w + 6, y: y + 15 }, `${r.value}${unit}${r.note || ""}`));
    });
    container.append(svg);
  },

  // days: [{day, received, completed}], two columns a day.
  columns(container, days, labels) {
    container.replaceChildren();
    const width = 600, height = 200, left = 30, bottom = 20;
    const top = Math.max(1, ...days.map((d) => Math.max(d.received, d.completed)));
    const slot = (width - left) / Math.max(days.length, 1);
    const bar = Math.max(1, slot / 2 - 1);
    const svg = this.svg(width, height);
    const scale = (v) => ((height - bottom - 10) * v) / top;
    svg.append(this.node("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" }));
    svg.append(this.node("text", { x: 0, y: 12 }, String(top)));
    svg.append(this.node("text", { x: 0, y: height - bottom }, "0"));
    days.forEach((d, i) => {
      const x = left + i * slot;
      for (const [j, key, color] of [[0, "received", "#2b6cb0"], [1, "completed", "#2f855a"]]) {
        const h = scale(d[key]);
        const rect = this.node("rect", { x: x + j * bar, y: height - bottom - h, width: bar, height: h, fill: color });
        rect.append(this.node("title", {}, `${d.day} ${labels[key]}: ${d[key]}`));
        svg.append(rect);
      }
      if (i === 0 || i === days.length - 1 || i % 7 === 0) {
        svg.append(this.node("text", { x, y: height - 4 }, d.day.slice(5)));
      }
    });
    container.append(svg);
    container.append(Bj.el("div", { class: "legend" },
      Bj.el("span", {}, Bj.el("i", { class: "sw-in" }), labels.received),
      Bj.el("span", {}, Bj.el("i", { class: "sw-out" }), labels.completed)));
  },
};
