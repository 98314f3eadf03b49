/// What a training run reports while it works. The library never prints; the command line
/// renders these (a live progress line on a terminal, one line per epoch).
public enum TrainingEvent: Sendable {
    case batch(BatchProgress)
    case epoch(EpochRecord)
    case diagnostics(ProbeSample)
    /// Something the run should tell its user but that does not stop it.
    case warning(String)
}

/// The gradient diagnostics measured after `batch` batches of `epoch`.
public struct ProbeSample: Sendable, Codable, Equatable {
    public var epoch: Int
    public var batch: Int
    public var diagnostics: GradientDiagnostics
}

public struct BatchProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var batch: Int
    public var batches: Int
    /// Mean training loss over the epoch's batches so far.
    public var loss: Double
    public var samplesPerSecond: Double
    /// Estimated seconds until the run ends.
    public var secondsRemaining: Double
}

/// One row of `metrics.csv`.
public struct EpochRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    /// Mean loss over the epoch's training batches, as the network was while training on them.
    public var trainLoss: Double
    /// Classification error over the epoch's training batches (as trained); NaN for regression.
    public var trainError: Double
    public var testLoss: Double
    /// Test classification error (fraction); NaN for regression.
    public var testError: Double
    public var learningRate: Float
    public var seconds: Double
    public var samplesPerSecond: Double
    /// The diagnostics measured during the epoch; the last is taken at its end.
    public var probes: [ProbeSample] = []

    public static let csvHeader = "epoch,train_loss,train_error,test_loss,test_error,learning_rate,seconds,samples_per_second"

    /// The header for records whose end-of-epoch diagnostics look like `sample`.
    public static func csvHeader(diagnostics sample: GradientDiagnostics?) -> String {
        csvHeader + (sample?.columns.map { "," + $0.name }.joined() ?? "")
    }

    public var csvRow: String {
        "\(epoch),\(trainLoss),\(trainError),\(testLoss),\(testError),\(learningRate),\(seconds),\(samplesPerSecond)"
            + (probes.last?.diagnostics.columns.map { ",\($0.value)" }.joined() ?? "")
    }

    public init(epoch: Int, trainLoss: Double, trainError: Double, testLoss: Double, testError: Double,
                learningRate: Float, seconds: Double, samplesPerSecond: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainError = trainError
        self.testLoss = testLoss
        self.testError = testError
        self.learningRate = learningRate
        self.seconds = seconds
        self.samplesPerSecond = samplesPerSecond
    }
}
