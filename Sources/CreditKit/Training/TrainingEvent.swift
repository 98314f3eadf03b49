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
    /// The epoch (1-based).
    public var epoch: Int
    /// Batches finished in the epoch.
    public var batch: Int
    /// What the probe measured.
    public var diagnostics: GradientDiagnostics
}

/// How far an epoch has come.
public struct BatchProgress: Sendable {
    /// The epoch (1-based).
    public var epoch: Int
    /// Epochs of the run.
    public var epochs: Int
    /// Batches finished in the epoch.
    public var batch: Int
    /// Batches in the epoch.
    public var batches: Int
    /// Mean training loss over the epoch's batches so far.
    public var loss: Double
    /// Training throughput so far in the epoch.
    public var samplesPerSecond: Double
    /// Estimated seconds until the run ends.
    public var secondsRemaining: Double
}

/// One row of `metrics.csv`.
public struct EpochRecord: Sendable, Codable, Equatable {
    /// The epoch (1-based).
    public var epoch: Int
    /// Mean loss over the epoch's training batches, as the network was while training on them.
    public var trainLoss: Double
    /// Classification error over the epoch's training batches (as trained); NaN for regression.
    public var trainError: Double
    /// Mean loss on the test set after the epoch.
    public var testLoss: Double
    /// Test classification error (fraction); NaN for regression.
    public var testError: Double
    /// The epoch's step size.
    public var learningRate: Float
    /// Seconds the epoch's training took.
    public var seconds: Double
    /// Training throughput so far in the epoch.
    public var samplesPerSecond: Double
    /// The diagnostics measured during the epoch; the last is taken at its end.
    public var probes: [ProbeSample] = []

    /// The columns every row has.
    public static let csvHeader = "epoch,train_loss,train_error,test_loss,test_error,learning_rate,seconds,samples_per_second"

    /// The header for records whose end-of-epoch diagnostics look like `sample`.
    public static func csvHeader(diagnostics sample: GradientDiagnostics?) -> String {
        csvHeader + (sample?.columns.map { "," + $0.name }.joined() ?? "")
    }

    /// The record as a row of `metrics.csv`.
    public var csvRow: String {
        "\(epoch),\(trainLoss),\(trainError),\(testLoss),\(testError),\(learningRate),\(seconds),\(samplesPerSecond)"
            + (probes.last?.diagnostics.columns.map { ",\($0.value)" }.joined() ?? "")
    }

    /// A record without diagnostics.
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
