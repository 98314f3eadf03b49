/// What every run's configuration gives the shared epoch loop, whatever it trains.
public protocol RunConfiguration: Sendable, Codable, Equatable {
    /// Passes over the training data.
    var epochs: Int { get set }
    /// The seed of every random draw: weights, feedback, data order, noise.
    var seed: UInt64 { get }
    /// Gradient diagnostics on the probe batch every this many batches; 0 = at the end of each
    /// epoch only.
    var probeEvery: Int { get }
    /// The learning rate of every epoch.
    var learningRateSchedule: LearningRateSchedule { get }
}

/// A model as the ``Trainer`` drives it: a network with its rule, optimizer and data, split into
/// what differs between a feed-forward and a recurrent network — how an epoch's batches are
/// made, how one batch trains, how the model is tested and probed, and which tensors a checkpoint
/// holds. The epoch loop, its random streams, divergence checks, progress, probes, records and
/// checkpoints are the trainer's, written once.
///
/// Randomness: the trainer hands ``beginEpoch(_:random:)`` the epoch's data stream (`2e` of the
/// seed) and every ``trainBatch(_:random:)`` of the epoch its per-batch stream (`2e + 1`), so a
/// resumed run repeats the uninterrupted one bit for bit.
public protocol TrainingModel: Sendable {
    /// The run's settings.
    associatedtype Configuration: RunConfiguration

    /// What the model was built from.
    var configuration: Configuration { get }
    /// The optimizer and its state; the trainer sets its learning rate every epoch.
    var optimizer: Optimizer { get set }
    /// The rule as a checkpoint records it.
    var ruleName: String { get }
    /// The model's shape as text (`784-800-10 tanh → identity`, `RNN 3-50-1 tanh`).
    var shape: String { get }
    /// One line naming the model, its rule, optimizer and data (the start of a run's log).
    var summary: String { get }
    /// Where the matrix products run.
    var backend: LinearAlgebraBackend { get }
    /// Batches in one epoch.
    var batchesPerEpoch: Int { get }
    /// What the records' error is, for printing: `err` (a share of wrong answers) or `nMSE`
    /// (a regression's normalized mean squared error).
    var errorName: String { get }

    /// Prepares epoch `epoch` (1-based): its data order or its fresh data, from `random`, and
    /// whatever the rule schedules per epoch.
    mutating func beginEpoch(_ epoch: Int, random: inout RandomSource)
    /// Trains on batch `batch` (0-based) of the epoch. Allocates nothing.
    mutating func trainBatch(_ batch: Int, random: inout RandomSource) -> BatchOutcome
    /// The training error of an epoch from its batches' summed outcomes (its mean loss is
    /// `loss / examples`): the share of wrong answers, or a regression's normalized error.
    func trainError(of epoch: BatchOutcome) -> Double
    /// Mean loss and error on the test data.
    mutating func evaluateTest() -> (loss: Double, error: Double)
    /// The rule against exact gradients on the fixed probe batch.
    mutating func diagnose() -> GradientDiagnostics
    /// What the rule reported while learning (each once), collected after every epoch.
    mutating func takeWarnings() -> [String]

    /// The forward parameters, by name, in the optimizer's slot order.
    var parameters: [NamedTensor] { get }
    /// Installs parameters of the names and shapes of ``parameters``.
    mutating func restoreParameters(_ parameters: [NamedTensor])
    /// Everything the rule keeps besides the forward parameters (feedback weights), by name.
    var ruleState: [NamedTensor] { get set }
}

/// What one batch (or, summed, one epoch) of training produced.
public struct BatchOutcome: Sendable, Equatable {
    /// The summed loss.
    public var loss: Double
    /// The terms of that sum: examples, or steps × streams of a recurrent window.
    public var examples: Int
    /// Answers judged right or wrong (classified examples, the recurrent task's answers).
    public var judged: Int
    /// Of those, the wrong ones.
    public var wrong: Int

    /// An outcome; zero for the start of a sum.
    public init(loss: Double = 0, examples: Int = 0, judged: Int = 0, wrong: Int = 0) {
        self.loss = loss
        self.examples = examples
        self.judged = judged
        self.wrong = wrong
    }

    /// Adds another batch's outcome.
    public static func += (sum: inout BatchOutcome, batch: BatchOutcome) {
        sum.loss += batch.loss
        sum.examples += batch.examples
        sum.judged += batch.judged
        sum.wrong += batch.wrong
    }
}
