import ArgumentParser
import CreditKit

extension Activation: ExpressibleByArgument {}
extension Loss: ExpressibleByArgument {}
extension RuleSpec: ExpressibleByArgument {
    public var defaultValueDescription: String { description }
}
extension OptimizerKind: ExpressibleByArgument {}
extension DatasetName: ExpressibleByArgument {}
extension InputScaling: ExpressibleByArgument {}
