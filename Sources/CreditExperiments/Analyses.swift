import CreditKit
import Foundation

/// A paper's figure that is computed rather than trained (`credit reproduce NAME` runs it too):
/// it writes its CSV and chart into a folder and reports its table as ``RunEvent``s.
public struct Analysis: Sendable {
    /// The name `credit reproduce` takes.
    public let name: String
    /// The paper and the figure.
    public let source: String
    /// What it shows.
    public let notes: String
    /// Computes the figure into `root`.
    public let run: @Sendable (_ root: String, _ events: (RunEvent) -> Void) throws -> Void
}

extension ExperimentRegistry {
    /// Every computed figure.
    public static var analyses: [Analysis] { [ngradFirstOrder, settlingEnergy] }

    /// The analysis called `name`, if there is one.
    public static func analysis(named name: String) -> Analysis? { analyses.first { $0.name == name } }

    /// How NGRAD's credit converges to backprop's as the nudge shrinks (Lillicrap et al. 2020,
    /// appendix: "to first order"): the relative error `‖δa_ngrad − δa_BP‖/‖δa_BP‖` over every hidden
    /// layer against η, one-sided and symmetric, on a 4-layer tanh and a 4-layer sigmoid net.
    static var ngradFirstOrder: Analysis {
        Analysis(name: "ngrad-first-order", source: "Lillicrap et al. 2020, appendix (Supplementary Figure 1)",
                 notes: "NGRAD's credit against backprop's as the output nudge η shrinks: slope 1 one-sided, 2 symmetric until "
                    + "the error meets single precision's rounding (~10⁻⁷) and stays there (the changes of activity are taken "
                    + "without cancellation, so it does not grow as 10⁻⁷/η).") { root, events in
            let nudges: [Float] = (0...18).map { powf(10, -0.25 * Float($0) - 0.5) }  // 10^-0.5 … 10^-5
            var csv = ["net,nudge,one_sided_relative_error,symmetric_relative_error"]
            var series: [LineChart.Series] = []
            for activation in [Activation.tanh, .sigmoid] {
                let errors = FirstOrderProbe(activation: activation).errors(nudges: nudges)
                for (η, e) in zip(nudges, errors) { csv.append("\(activation.rawValue),\(η),\(e.oneSided),\(e.symmetric)") }
                series.append(.init(name: "\(activation.rawValue), one-sided", points: zip(nudges, errors).map { (Double(log10($0)), $1.oneSided) }))
                series.append(.init(name: "\(activation.rawValue), symmetric", points: zip(nudges, errors).map { (Double(log10($0)), $1.symmetric) },
                                    dashed: true))
                let slope = { (values: [Double], count: Int) -> Double in
                    // Over the first `count` nudges, above the rounding floor.
                    let xs = nudges.prefix(count).map { log(Double($0)) }, ys = values.prefix(count).map(log)
                    let (mx, my) = (xs.reduce(0, +) / Double(count), ys.reduce(0, +) / Double(count))
                    return zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
                }
                events(.output(String(format: "%@: slope one-sided %.2f (η from 0.32 to 10⁻⁵), symmetric %.2f (0.32 to 0.01); "
                                      + "error at η = 10⁻³: %.2g, %.2g; at 10⁻⁵: %.2g, %.2g",
                                      activation.rawValue, slope(errors.map(\.oneSided), nudges.count), slope(errors.map(\.symmetric), 7),
                                      errors[10].oneSided, errors[10].symmetric, errors[18].oneSided, errors[18].symmetric)))
            }
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try AtomicFile.write(csv.joined(separator: "\n") + "\n", to: root + "/first-order.csv")
            let chart = LineChart(title: "NGRAD's credit against backprop's", xLabel: "log₁₀ η", yLabel: "relative error of δa",
                                  series: series, logarithmicY: true)
            try AtomicFile.write(chart.svg(), to: root + "/first-order.svg")
            events(.status("wrote \(root)/first-order.csv, first-order.svg"))
        }
    }
}

/// One batch through a 4-layer net, with backprop's credit as the reference.
struct FirstOrderProbe {
    let network: Network
    var workspace: Workspace
    let reference: [Double]

    init(activation: Activation) {
        var random = RandomSource(seed: 7)
        network = Network(architecture: Architecture(sizes: [6, 10, 9, 8, 4], hiddenActivation: activation), initializer: .xavier,
                          random: &random)
        workspace = Workspace(architecture: network.architecture, batchSize: 16)
        workspace.input = Matrix(rows: 16, columns: 6) { _, _ in random.uniform(-1, 1) }
        workspace.target = Matrix(rows: 16, columns: 4) { r, c in c == r % 4 ? 1 : 0 }
        network.forward(&workspace, backend: .portable)
        network.writeOutputError(loss: .crossEntropy, into: &workspace)
        var copy = workspace, bp = Backpropagation(), noRandom = RandomSource(seed: 0)
        bp.assignCredit(network: network, workspace: &copy, backend: .portable, random: &noRandom)
        reference = copy.credits.dropLast().flatMap { $0.elements.map(Double.init) }
    }

    /// The relative error of NGRAD's credit for every nudge, one-sided and symmetric.
    func errors(nudges: [Float]) -> [(oneSided: Double, symmetric: Double)] {
        nudges.map { η in (error(ActivityDifference(nudge: η, symmetric: false)), error(ActivityDifference(nudge: η, symmetric: true))) }
    }

    private func error(_ rule: ActivityDifference) -> Double {
        var copy = workspace, rule = rule, noRandom = RandomSource(seed: 0)
        rule.assignCredit(network: network, workspace: &copy, backend: .portable, random: &noRandom)
        let credit = copy.credits.dropLast().flatMap { $0.elements.map(Double.init) }
        let difference = zip(credit, reference).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        return difference / reference.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
}
