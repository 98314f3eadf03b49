extension DataSplit {
    /// Checks what every split must satisfy before anything trains on it, naming `file` (and
    /// `trainPart`/`testPart`, the variables or files of each part) in the error: neither part is
    /// empty, both have the same input and output widths and kind of target, and every stored
    /// float is finite.
    public func check(file: String, trainPart: String = "the training set", testPart: String = "the test set") throws(DataError) {
        guard train.count > 0 else { throw .inconsistent(file: file, reason: "\(trainPart) is empty; expected at least one example") }
        guard test.count > 0 else { throw .inconsistent(file: file, reason: "\(testPart) is empty; expected at least one example") }
        guard train.featureCount == test.featureCount else {
            throw .inconsistent(file: file, reason: "\(testPart) has \(test.featureCount) inputs per example, \(trainPart) \(train.featureCount)")
        }
        guard train.outputSize == test.outputSize, train.isClassification == test.isClassification else {
            throw .inconsistent(file: file, reason: "\(testPart) has \(test.outputSize) targets per example, \(trainPart) \(train.outputSize)")
        }
        for (part, dataset) in [(trainPart, train), (testPart, test)] {
            if case .floats(let values) = dataset.features, let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw .inconsistent(file: file, reason: "\(part): input \(bad % dataset.featureCount + 1) of example \(bad / dataset.featureCount + 1) "
                                    + "is \(values[bad]); expected finite numbers")
            }
            if case .values(let values, let width) = dataset.targets, let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw .inconsistent(file: file, reason: "\(part): target \(bad % width + 1) of example \(bad / width + 1) is \(values[bad]); "
                                    + "expected finite numbers")
            }
        }
    }
}

/// Text from a file made safe for a one-line message: printable ASCII kept, anything else escaped
/// as `\xNN`, and cut at `limit` characters.
func printable(_ bytes: some Collection<UInt8>, limit: Int = 80) -> String {
    var text = ""
    for byte in bytes {
        if text.count >= limit { return text + "…" }
        text += (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16).leftPadded(to: 2)
    }
    return text
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
