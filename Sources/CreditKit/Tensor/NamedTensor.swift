/// A tensor with the name it is saved and restored under (`B2`, `gram3`): a rule's state is a
/// list of these, so that a checkpoint restores each tensor to its own slot, never by position.
public struct NamedTensor: Sendable, Equatable {
    /// The name it is saved under.
    public var name: String
    /// The tensor.
    public var value: Matrix

    /// `value` under `name`.
    public init(_ name: String, _ value: Matrix) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == NamedTensor {
    /// The tensor named `name`, if present.
    public subscript(named name: String) -> Matrix? { first { $0.name == name }?.value }
}
