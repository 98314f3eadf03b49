import Foundation

/// A 2-D scatter plot rendered as standalone SVG, points coloured by class (e.g. an
/// autoencoder's bottleneck activity coloured by digit).
public struct ScatterChart: Sendable {
    /// The chart's title.
    public var title: String
    /// The x axis's label.
    public var xLabel: String
    /// The y axis's label.
    public var yLabel: String
    /// The points, each with its category (its colour; the digit).
    public var points: [(x: Double, y: Double, category: Int)]

    /// A scatter plot of `points`.
    public init(title: String, xLabel: String = "unit 1", yLabel: String = "unit 2", points: [(x: Double, y: Double, category: Int)]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
    }

    /// The chart as an SVG group in the given box (for panels of several charts).
    public func svgGroup(originX: Double, originY: Double, width: Double, height: Double) -> String {
        let left = 64.0, right = 56.0, top = 28.0, bottom = 44.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        var out = "<g transform=\"translate(\(fmt(originX)),\(fmt(originY)))\">\n"
        out += "<text x=\"\(fmt(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(escape(title))</text>\n"
        let visible = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard !visible.isEmpty else {
            return out + "<text x=\"\(fmt(width / 2))\" y=\"\(fmt(height / 2))\" text-anchor=\"middle\">no data</text>\n</g>\n"
        }
        var (xMin, xMax) = (visible.map(\.x).min()!, visible.map(\.x).max()!)
        var (yMin, yMax) = (visible.map(\.y).min()!, visible.map(\.y).max()!)
        if xMax == xMin { xMin -= 0.5; xMax += 0.5 }
        if yMax == yMin { yMin -= 0.5; yMax += 0.5 }
        let px = { (x: Double) in left + (x - xMin) / (xMax - xMin) * plotWidth }
        let py = { (y: Double) in top + (1 - (y - yMin) / (yMax - yMin)) * plotHeight }
        out += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotWidth))\" height=\"\(fmt(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        for tick in LineChart.ticks(xMin, xMax, count: 6) {
            out += "<text x=\"\(fmt(px(tick)))\" y=\"\(fmt(top + plotHeight + 16))\" text-anchor=\"middle\" font-size=\"11\">\(LineChart.label(tick))</text>\n"
        }
        for tick in LineChart.ticks(yMin, yMax, count: 5) {
            out += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(py(tick) + 4))\" text-anchor=\"end\" font-size=\"11\">\(LineChart.label(tick))</text>\n"
        }
        out += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(height - 8))\" text-anchor=\"middle\" font-size=\"12\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(14,\(fmt(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">\(escape(yLabel))</text>\n"
        let palette = LineChart.palette + ["#bcbd22"]
        for p in visible {
            out += "<circle cx=\(q(fmt(px(p.x)))) cy=\(q(fmt(py(p.y)))) r=\"1.6\" fill-opacity=\"0.6\" fill=\(q(palette[p.category % palette.count]))/>"
        }
        out += "\n"
        for (row, category) in Set(visible.map(\.category)).sorted().enumerated() {
            let y = top + 10 + Double(row) * 15
            out += "<circle cx=\(q(fmt(left + plotWidth + 14))) cy=\(q(fmt(y - 4))) r=\"4\" fill=\(q(palette[category % palette.count]))/>"
            out += "<text x=\(q(fmt(left + plotWidth + 22))) y=\(q(fmt(y))) font-size=\"11\">\(category)</text>\n"
        }
        return out + "</g>\n"
    }

    /// Several scatter plots side by side in one SVG document.
    public static func panels(_ charts: [ScatterChart], panelWidth: Double = 420, height: Double = 380) -> String {
        let body = charts.enumerated().map { $1.svgGroup(originX: Double($0) * panelWidth, originY: 0, width: panelWidth, height: height) }
        return LineChart.document(width: panelWidth * Double(max(charts.count, 1)), height: height, body: body.joined())
    }
}

private func q(_ s: String) -> String { "\"" + s + "\"" }
