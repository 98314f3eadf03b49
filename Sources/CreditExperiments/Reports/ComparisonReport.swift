import CreditKit
import Foundation

/// One rule's history in a comparison.
public struct ComparisonRow: Sendable {
    /// The row's name.
    public var rule: String
    /// Its epochs.
    public var history: [EpochRecord]

    /// A row of `history`.
    public init(rule: String, history: [EpochRecord]) {
        self.rule = rule
        self.history = history
    }

    /// The last epoch.
    public var final: EpochRecord? { history.last }
    /// The epoch with the lowest test error.
    public var best: EpochRecord? { history.filter { !$0.testError.isNaN }.min { $0.testError < $1.testError } }
    /// Training time over every epoch.
    public var seconds: Double { history.reduce(0) { $0 + $1.seconds } }

    /// Mean over the end-of-epoch probes of each hidden layer's ΔW angle to backprop.
    public var meanAngles: [Double] {
        let samples = history.compactMap { $0.probes.last?.diagnostics.weightAngles }
        guard let layers = samples.first?.count else { return [] }
        return (0..<layers).map { ℓ in samples.map { $0[ℓ] }.reduce(0, +) / Double(samples.count) }
    }
}

/// The table, CSV and plots of a comparison (shared with `reproduce`).
public struct ComparisonReport: Sendable {
    /// One row per rule.
    public var rows: [ComparisonRow]
    /// What the charts say they show.
    public var title: String

    /// A report of `rows`.
    public init(rows: [ComparisonRow], title: String) {
        self.rows = rows
        self.title = title
    }

    /// The table's lines: final and best test error, time and the mean ΔW angle per hidden layer.
    public var table: [String] {
        let layers = rows.map(\.meanAngles.count).max() ?? 0
        var lines = ["rule            final test   best test    time (s)" + (0..<layers).map { String(format: "  ∠ΔW%-4d", $0 + 1) }.joined()]
        for row in rows {
            var line = row.rule.padding(toLength: 16, withPad: " ", startingAt: 0)
            line += percent(row.final?.testError ?? .nan).leftPadded(to: 10) + "   " + percent(row.best?.testError ?? .nan).leftPadded(to: 9)
            line += String(format: "  %10.1f", row.seconds)
            line += row.meanAngles.map { String(format: "  %6.1f°", $0) }.joined()
            lines.append(line)
        }
        return lines
    }

    /// Writes comparison.csv, test-error.svg and angles.svg into `root`.
    public func write(to root: String) throws {
        var csv = ["rule,final_test_error,best_test_error,best_epoch,seconds" + (0..<(rows.first?.meanAngles.count ?? 0)).map { ",mean_angle_dW\($0 + 1)" }.joined()]
        for row in rows {
            csv.append("\(row.rule),\(row.final?.testError ?? .nan),\(row.best?.testError ?? .nan),\(row.best?.epoch ?? 0),\(row.seconds)"
                       + row.meanAngles.map { ",\($0)" }.joined())
        }
        try AtomicFile.write(csv.joined(separator: "\n") + "\n", to: root + "/comparison.csv")
        try AtomicFile.write(testErrorChart, to: root + "/test-error.svg")
        try AtomicFile.write(angleChart, to: root + "/angles.svg")
    }

    /// The test and training loss over training, side by side, with `references` drawn as dashed
    /// horizontal lines across both (log scale).
    public func lossChart(references: [(name: String, value: Double)] = []) -> String {
        let epochs = Double(rows.map(\.history.count).max() ?? 1)
        func loss(_ quantity: String, _ value: @escaping (EpochRecord) -> Double) -> LineChart {
            LineChart(title: "\(quantity) — " + title, xLabel: "epoch", yLabel: "loss", series: rows.map { row in
                .init(name: row.rule, points: row.history.map { (Double($0.epoch), value($0)) })
            } + references.map { .init(name: $0.name, points: [(1, $0.value), (epochs, $0.value)], dashed: true) }, logarithmicY: true)
        }
        return LineChart.panels([loss("Test loss", \.testLoss), loss("Training loss (as trained)", \.trainLoss)])
    }

    /// Test error over training; for rows with no error rate (autoencoders), the test and training
    /// loss instead.
    public var testErrorChart: String {
        guard rows.contains(where: { $0.history.contains { $0.testError.isFinite } }) else { return lossChart() }
        return LineChart(title: "Test error — " + title, xLabel: "epoch", yLabel: "test error (%)", series: rows.map { row in
            .init(name: row.rule, points: row.history.map { (Double($0.epoch), 100 * $0.testError) })
        }, logarithmicY: true).svg()
    }

    /// Coherence of every hidden layer over training (rectifier networks), or nil.
    public var coherenceChart: String? {
        let layers = rows.compactMap { $0.history.last?.probes.last?.diagnostics.coherence.count }.max() ?? 0
        guard layers > 0 else { return nil }
        let charts = (0..<layers).map { ℓ in
            LineChart(title: "Hidden layer \(ℓ + 1): coherence Στ/Σ|τ|", xLabel: "epoch", yLabel: "coherence", series: rows.map { row in
                .init(name: row.rule, points: row.history.compactMap { record in
                    record.probes.last.flatMap { ℓ < $0.diagnostics.coherence.count ? (Double(record.epoch), $0.diagnostics.coherence[ℓ]) : nil }
                })
            })
        }
        return LineChart.panels(charts)
    }

    /// For rules with feedback matrices standing where `Wᵀ` would: per matrix, the relative error
    /// ‖Wᵀ − B‖/‖W‖ and the sign congruence; per hidden layer, the angle of the credit δa to
    /// backprop's (the learned-feedback paper's Figure 2 A–C). Nil when no rule has such matrices.
    public var feedbackChart: String? {
        let tags = Set(rows.flatMap { $0.history.last?.probes.last?.diagnostics.feedback.filter { $0.kind == "above" }.map(\.layer) ?? [] }).sorted()
        guard !tags.isEmpty else { return nil }
        func series(_ value: @escaping (GradientDiagnostics) -> Double?) -> [LineChart.Series] {
            rows.map { row in
                .init(name: row.rule, points: row.history.compactMap { record in
                    record.probes.last.flatMap(\.diagnostics).flatMap(value).map { (Double(record.epoch), $0) }
                })
            }
        }
        var charts: [LineChart] = []
        for ℓ in tags {
            charts.append(LineChart(title: "B\(ℓ + 2): relative error ‖Wᵀ − B‖/‖W‖", xLabel: "epoch", yLabel: "relative error",
                                    series: series { d in d.feedback.first { $0.layer == ℓ && $0.kind == "above" }?.relativeError }))
            charts.append(LineChart(title: "B\(ℓ + 2): sign congruence with Wᵀ", xLabel: "epoch", yLabel: "% equal signs",
                                    series: series { d in d.feedback.first { $0.layer == ℓ && $0.kind == "above" }?.signCongruence }))
            charts.append(LineChart(title: "Hidden layer \(ℓ + 1): angle of δa to backprop's", xLabel: "epoch", yLabel: "degrees",
                                    series: series { d in ℓ < d.creditAngles.count ? d.creditAngles[ℓ] : nil }))
        }
        return LineChart.panels(charts, columns: 3)
    }

    /// Each hidden layer's ΔW angle to backprop over training, at every probe.
    public var angleChart: String {
        let layers = rows.map(\.meanAngles.count).max() ?? 0
        let charts = (0..<layers).map { ℓ in
            LineChart(title: "Hidden layer \(ℓ + 1): angle of ΔW to backprop's", xLabel: "epoch (fractional: probe samples)",
                      yLabel: "degrees", series: rows.map { row in
                // Rows of shallower networks have no panel-ℓ points (an experiment may mix depths).
                .init(name: row.rule, points: row.history.flatMap { record in
                    record.probes.compactMap { sample -> (x: Double, y: Double)? in
                        guard ℓ < sample.diagnostics.weightAngles.count else { return nil }
                        let fraction = Double(sample.batch) / Double(max(record.probes.last?.batch ?? 1, 1))
                        return (Double(record.epoch - 1) + fraction, sample.diagnostics.weightAngles[ℓ])
                    }
                })
            })
        }
        return LineChart.panels(charts)
    }
}
