import ArgumentParser
import CreditKit

extension Activation: ExpressibleByArgument {}
extension Loss: ExpressibleByArgument {}
extension RuleSpec: ExpressibleByArgument {
    public var defaultValueDescription: String { description }
}
extension FeedbackFamily: ExpressibleByArgument {
    public var defaultValueDescription: String { description }
}
extension OptimizerKind: ExpressibleByArgument {}
extension DatasetName: ExpressibleByArgument {}
extension InputScaling: ExpressibleByArgument {}
extension NodePerturbationSettings.Solver: ExpressibleByArgument {}

/// `--model`: which network family a run trains.
enum NetworkKind: String, CaseIterable, ExpressibleByArgument {
    case mlp, rnn
}
