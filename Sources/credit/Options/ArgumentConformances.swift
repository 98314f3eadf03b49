import ArgumentParser
import CreditKit

extension Activation: ExpressibleByArgument {}
extension Loss: ExpressibleByArgument {}
extension RuleKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension DatasetName: ExpressibleByArgument {}
extension InputScaling: ExpressibleByArgument {}
