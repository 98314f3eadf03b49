import Foundation

/// A line chart rendered as standalone SVG: axes with ticks, a legend, one polyline per series.
public struct LineChart: Sendable {
    /// One curve.
    public struct Series: Sendable {
        /// The legend's name for it.
        public var name: String
        /// Its points, in order of x.
        public var points: [(x: Double, y: Double)]
        /// Drawn dashed (e.g. a training curve beside the test curve).
        public var dashed: Bool
        /// A shaded band around the curve (mean ± standard error over seeds), in order of x.
        public var band: [(x: Double, low: Double, high: Double)]
        /// Its colour (`#1f77b4`); the palette's, by the series' place, when nil.
        public var color: String?

        /// A curve through `points`.
        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false,
                    band: [(x: Double, low: Double, high: Double)] = [], color: String? = nil) {
            self.name = name
            self.points = points
            self.dashed = dashed
            self.band = band
            self.color = color
        }
    }

    /// The chart's title.
    public var title: String
    /// The x axis's label.
    public var xLabel: String
    /// The y axis's label.
    public var yLabel: String
    /// The curves.
    public var series: [Series]
    /// Plot y on a log₁₀ axis (for losses and errors spanning decades).
    public var logarithmicY: Bool

    /// A chart of `series`; a logarithmic y axis ignores values ≤ 0.
    public init(title: String, xLabel: String, yLabel: String, series: [Series], logarithmicY: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logarithmicY = logarithmicY
    }

    /// The colours series take in order (`Series.color` overrides).
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"]

    /// The chart as an SVG fragment of the given size, placed at (originX, originY).
    public func svgGroup(originX: Double, originY: Double, width: Double, height: Double) -> String {
        let left = 64.0, right = 16.0, top = 28.0, bottom = 44.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let transform: (Double) -> Double = logarithmicY ? { log10($0) } : { $0 }
        let visible = (series.flatMap(\.points) + series.flatMap { $0.band.flatMap { [(x: $0.x, y: $0.low), (x: $0.x, y: $0.high)] } })
            .filter { $0.y.isFinite && $0.x.isFinite && (!logarithmicY || $0.y > 0) }
        var out = "<g transform=\"translate(\(fmt(originX)),\(fmt(originY)))\">\n"
        out += "<text x=\"\(fmt(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(escape(title))</text>\n"
        guard !visible.isEmpty else {
            return out + "<text x=\"\(fmt(width / 2))\" y=\"\(fmt(height / 2))\" text-anchor=\"middle\">no data</text>\n</g>\n"
        }
        var (xMin, xMax) = (visible.map(\.x).min()!, visible.map(\.x).max()!)
        var (yMin, yMax) = (visible.map { transform($0.y) }.min()!, visible.map { transform($0.y) }.max()!)
        if xMax == xMin { xMin -= 0.5; xMax += 0.5 }
        if yMax == yMin { yMin -= 0.5; yMax += 0.5 }
        let pad = 0.05 * (yMax - yMin)
        yMin -= pad; yMax += pad
        let px = { (x: Double) in left + (x - xMin) / (xMax - xMin) * plotWidth }
        let py = { (y: Double) in top + (1 - (transform(y) - yMin) / (yMax - yMin)) * plotHeight }

        out += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotWidth))\" height=\"\(fmt(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        for tick in Self.ticks(xMin, xMax, count: 6) {
            let x = px(tick)
            out += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(top + plotHeight))\" x2=\"\(fmt(x))\" y2=\"\(fmt(top + plotHeight + 4))\" stroke=\"#444\"/>"
            out += "<text x=\"\(fmt(x))\" y=\"\(fmt(top + plotHeight + 16))\" text-anchor=\"middle\" font-size=\"11\">\(Self.label(tick))</text>\n"
        }
        for tick in Self.ticks(yMin, yMax, count: 5) {
            let y = top + (1 - (tick - yMin) / (yMax - yMin)) * plotHeight
            let value = logarithmicY ? pow(10, tick) : tick
            out += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(left + plotWidth))\" y2=\"\(fmt(y))\" stroke=\"#ddd\"/>"
            out += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\" font-size=\"11\">\(Self.label(value))</text>\n"
        }
        out += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(height - 8))\" text-anchor=\"middle\" font-size=\"12\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(14,\(fmt(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">\(escape(yLabel + (logarithmicY ? " (log)" : "")))</text>\n"
        for (index, s) in series.enumerated() where !s.band.isEmpty {
            let color = s.color ?? Self.palette[index % Self.palette.count]
            let band = s.band.filter { $0.low.isFinite && $0.high.isFinite && (!logarithmicY || $0.low > 0) }
            guard band.count > 1 else { continue }
            let outline = band.map { "\(fmt(px($0.x))),\(fmt(py($0.high)))" } + band.reversed().map { "\(fmt(px($0.x))),\(fmt(py($0.low)))" }
            out += "<polygon fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\" points=\"\(outline.joined(separator: " "))\"/>\n"
        }
        for (index, s) in series.enumerated() {
            let color = s.color ?? Self.palette[index % Self.palette.count]
            let points = s.points.filter { $0.y.isFinite && (!logarithmicY || $0.y > 0) }
            guard !points.isEmpty else { continue }
            let path = points.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"5,3\"" : "") points=\"\(path)\"/>\n"
            if points.count <= 40 {
                for p in points { out += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"2.2\" fill=\"\(color)\"/>" }
                out += "\n"
            }
            let ly = top + 14 + Double(index) * 16
            out += "<line x1=\"\(fmt(left + plotWidth - 130))\" y1=\"\(fmt(ly - 4))\" x2=\"\(fmt(left + plotWidth - 110))\" y2=\"\(fmt(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"5,3\"" : "")/>"
            out += "<text x=\"\(fmt(left + plotWidth - 104))\" y=\"\(fmt(ly))\" font-size=\"11\">\(escape(s.name))</text>\n"
        }
        return out + "</g>\n"
    }

    /// A standalone SVG document of one chart.
    public func svg(width: Double = 640, height: Double = 400) -> String {
        Self.document(width: width, height: height, body: svgGroup(originX: 0, originY: 0, width: width, height: height))
    }

    /// Several charts side by side in one SVG document.
    public static func panels(_ charts: [LineChart], columns: Int = .max, panelWidth: Double = 520, height: Double = 380) -> String {
        let columns = max(1, min(columns, charts.count))
        let body = charts.enumerated().map { index, chart in
            chart.svgGroup(originX: Double(index % columns) * panelWidth, originY: Double(index / columns) * height,
                           width: panelWidth, height: height)
        }
        let rows = (charts.count + columns - 1) / columns
        return document(width: panelWidth * Double(columns), height: height * Double(max(rows, 1)), body: body.joined())
    }

    static func document(width: Double, height: Double, body: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" + body + "</svg>\n"
    }

    /// "Nice" tick positions (1, 2, 5 × 10ᵏ steps) covering [low, high].
    static func ticks(_ low: Double, _ high: Double, count: Int) -> [Double] {
        let raw = (high - low) / Double(max(count, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var ticks: [Double] = []
        var t = ceil(low / step) * step
        while t <= high + step * 1e-9 { ticks.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return ticks
    }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e4 || a < 1e-3 { return String(format: "%.0e", v) }
        if a >= 10 { return String(format: "%.0f", v) }
        if a >= 1 { return String(format: "%.4g", v) }
        return String(format: "%.3g", v)
    }
}

func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
