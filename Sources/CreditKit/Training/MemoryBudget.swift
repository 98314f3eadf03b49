import Foundation

/// What a model would take in memory, checked before anything is allocated: a typo such as
/// `--layers 4000000000` is refused with the size it asked for instead of ending in an
/// allocation failure.
enum MemoryBudget {
    /// The memory a run may use: this machine's physical memory.
    static var available: Double { Double(ProcessInfo.processInfo.physicalMemory) }

    /// Throws for `field` (with `value`) when `floats` single-precision numbers exceed the budget.
    static func check(floats: Double, field: String, value: String, what: String) throws(ConfigurationError) {
        let bytes = 4 * floats
        guard bytes <= available else {
            throw .invalid(field: field, value: value,
                           expected: "a model that fits in memory: \(what) needs \(format(bytes)), this machine has \(format(available))")
        }
    }

    static func format(_ bytes: Double) -> String {
        for (unit, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6)] where bytes >= size {
            return String(format: "%.1f %@", bytes / size, unit)
        }
        return String(format: "%.0f kB", bytes / 1e3)
    }
}

extension TrainingConfiguration {
    /// Floats a run of this network needs at the least: weights with their optimizer buffers and a
    /// feedback matrix each, and the batch and evaluation workspaces (activities, pre-activations,
    /// credits, errors per layer).
    func memoryFloats(inputs: Int, outputs: Int) -> Double {
        let widths = ([inputs] + hiddenLayers + [outputs]).map(Double.init)
        let parameters = zip(widths, widths.dropFirst()).reduce(0.0) { $0 + $1.0 * $1.1 + $1.1 }
        let copies = 2 + (optimizer == .adam ? 2.0 : optimizer == .momentum ? 1 : 0)
        let rows = Double(batchSize) + Double(FeedForwardModel.evaluationBatchSize)
        return parameters * copies + 4 * rows * widths.reduce(0, +)
    }
}

extension RecurrentConfiguration {
    /// Floats a run needs at the least: the weights with optimizer buffers, feedback and
    /// gradients, the windows' buffers, and the generated streams of an epoch.
    var memoryFloats: Double {
        let h = Double(hidden), inputs = Double(task.task.inputWidth + task.task.outputWidth)
        let parameters = h * h + h * inputs + 2 * h + 1
        let windows = 3 * 8 * Double(bpttSteps + 1) * Double(streams) * (h + inputs + 1)
        let epoch = Double(stepsPerEpoch) * Double(streams) * (inputs + 2)
        return 5 * parameters + windows + epoch
    }
}
