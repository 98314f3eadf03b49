import ArgumentParser
import CreditKit
import Foundation

/// A grid and a random search over `credit train`'s flags: every combination of the `--grid`
/// axes, crossed with `samples` points drawn from the `--sample` ranges; each point is the fixed
/// flags plus its own, parsed exactly as `credit train` parses them.
struct GridSweep {
    /// `flag=v1,v2` (or `flag=v1|v2` when the values hold commas).
    var grid: [String]
    /// `flag=low:high` or `flag=log:low:high`.
    var sample: [String]
    /// Points drawn from the ranges.
    var samples: Int
    /// The fixed flags.
    var base: [String]

    /// One axis: the flag and its values.
    private func axes() throws -> [(flag: String, values: [String])] {
        try grid.map { axis in
            guard let equals = axis.firstIndex(of: "="), equals != axis.startIndex else {
                throw ValidationError("--grid: expected flag=values such as lr=0.01,0.05, found '\(axis)'")
            }
            let flag = String(axis[..<equals]), list = String(axis[axis.index(after: equals)...])
            let values = list.split(separator: list.contains("|") ? "|" : ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !values.isEmpty, !values.contains("") else {
                throw ValidationError("--grid: \(flag) has an empty value in '\(axis)'")
            }
            return (flag, values)
        }
    }

    /// One range: the flag, its bounds and whether it is drawn log-uniformly.
    private func ranges() throws -> [(flag: String, low: Double, high: Double, logarithmic: Bool)] {
        try sample.map { axis in
            let parts = axis.split(separator: "=", maxSplits: 1).map(String.init)
            var bounds = parts.count == 2 ? parts[1].split(separator: ":").map(String.init) : []
            let logarithmic = bounds.first == "log"
            if logarithmic { bounds.removeFirst() }
            guard parts.count == 2, bounds.count == 2, let low = Double(bounds[0]), let high = Double(bounds[1]), low < high,
                  !logarithmic || low > 0 else {
                throw ValidationError("--sample: expected flag=low:high or flag=log:low:high with low < high (and low > 0 for log), found '\(axis)'")
            }
            return (parts[0], low, high, logarithmic)
        }
    }

    /// Every point: its label (`lr=0.01 rule=fa`) and the configuration `credit train` would build.
    func points(seed: UInt64) throws -> [(label: String, configuration: TrainingConfiguration)] {
        let axes = try axes(), ranges = try ranges()
        for flag in axes.map(\.flag) + ranges.map(\.flag) where ["epochs", "seed", "out", "resume"].contains(flag) {
            throw ValidationError("--grid/--sample: \(flag) is the sweep's own (use --epochs, --seeds, --out)")
        }
        var combinations: [[(String, String)]] = [[]]
        for axis in axes {
            combinations = combinations.flatMap { prefix in axis.values.map { prefix + [(axis.flag, $0)] } }
        }
        if !ranges.isEmpty {
            var random = RandomSource(seed: seed, stream: 0x5EE9)
            let drawn: [[(String, String)]] = (0..<samples).map { _ in
                ranges.map { range in
                    let u = Double(random.nextUnitFloat())
                    let value = range.logarithmic ? exp(log(range.low) + u * (log(range.high) - log(range.low))) : range.low + u * (range.high - range.low)
                    return (range.flag, String(format: "%.4g", value))
                }
            }
            combinations = combinations.flatMap { prefix in drawn.map { prefix + $0 } }
        }
        return try combinations.map { point in
            let arguments = base + point.flatMap { ["--" + $0.0, $0.1] }
            let options: ModelOptions
            do { options = try ModelOptions.parse(arguments) } catch {
                throw ValidationError("the point \(point.map { "\($0.0)=\($0.1)" }.joined(separator: " ")): "
                                      + ModelOptions.message(for: error).replacingOccurrences(of: "\n", with: " "))
            }
            let configuration = try options.configuration(epochs: 1)
            do { try configuration.validate() } catch {
                throw ValidationError("the point \(point.map { "\($0.0)=\($0.1)" }.joined(separator: " ")): \(FlagNames.message(error))")
            }
            return (point.map { "\($0.0)=\($0.1)" }.joined(separator: " "), configuration)
        }
    }
}
