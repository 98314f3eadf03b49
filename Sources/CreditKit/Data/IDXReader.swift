/// Reads IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.), compressed or not.
///
/// Concretely: two zero bytes, a type byte (`0x08` = unsigned byte, the only type these datasets
/// use), the number of dimensions `d`, then `d` big-endian `UInt32` sizes, then the payload,
/// row-major. The file must hold exactly the payload its header announces.
public enum IDXReader {
    /// An IDX array: its dimensions and its bytes, row-major.
    public struct Array: Sendable {
        /// The size of each dimension.
        public var dimensions: [Int]
        /// The elements (unsigned bytes), row-major.
        public var bytes: [UInt8]
    }

    /// Reads the (gzip-compressed or plain) IDX file at `path`.
    public static func read(_ path: String) throws(DataError) -> Array {
        try parse(FileBytes.read(path), file: path)
    }

    /// Parses `bytes`; errors name `file`.
    public static func parse(_ bytes: [UInt8], file: String) throws(DataError) -> Array {
        guard bytes.count >= 4 else {
            throw .malformedIDX(file: file, reason: "expected a 4-byte magic number, found \(bytes.count) bytes")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw .malformedIDX(file: file, reason: "expected the magic number to start with two zero bytes, found \(hex(bytes[0])) \(hex(bytes[1]))")
        }
        guard bytes[2] == 0x08 else {
            throw .malformedIDX(file: file, reason: "expected element type 0x08 (unsigned byte), found \(hex(bytes[2]))")
        }
        let rank = Int(bytes[3])
        guard (1...4).contains(rank) else {
            throw .malformedIDX(file: file, reason: "expected 1 to 4 dimensions, found \(rank)")
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw .malformedIDX(file: file, reason: "truncated header: expected \(headerSize) bytes, found \(bytes.count)")
        }
        var dimensions: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dimensions.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        let found = bytes.count - headerSize
        // The product of four 32-bit sizes can overflow: such a header announces more than any file holds.
        var payload = 1
        for dimension in dimensions {
            let (product, overflow) = payload.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw .malformedIDX(file: file, reason: "truncated: header \(dimensions.map(String.init).joined(separator: "×")) announces "
                                    + "more bytes of data than the \(found) present")
            }
            payload = product
        }
        guard found == payload else {
            let what = found < payload ? "truncated" : "trailing data"
            throw .malformedIDX(file: file, reason: "\(what): header \(dimensions.map(String.init).joined(separator: "×")) announces \(payload) bytes of data, found \(found)")
        }
        return Array(dimensions: dimensions, bytes: Swift.Array(bytes[headerSize...]))
    }

    private static func hex(_ b: UInt8) -> String { "0x" + String(b, radix: 16, uppercase: false) }
}
