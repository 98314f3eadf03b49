/// Why a dataset could not be read. Every case names the file (and line or field) and says what
/// was expected and what was found.
public enum DataError: Error, Equatable, CustomStringConvertible {
    case notFound(dataset: String, searched: [String])
    case unreadable(file: String, reason: String)
    case corruptGzip(file: String, reason: String)
    case malformedIDX(file: String, reason: String)
    case malformedCSV(file: String, line: Int, field: Int?, reason: String)
    case inconsistent(file: String, reason: String)
    case checksumMismatch(file: String, expected: String, found: String)
    case downloadFailed(url: String, reason: String)

    public var description: String {
        switch self {
        case let .notFound(dataset, searched):
            return "dataset '\(dataset)' not found; looked in: \(searched.joined(separator: ", ")). "
                + "Pass --data DIR (a folder with one sub-folder per dataset, like ../shared/data) or set CREDITKIT_DATA."
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .corruptGzip(file, reason): return "\(file): corrupt gzip data: \(reason)"
        case let .malformedIDX(file, reason): return "\(file): not a valid IDX file: \(reason)"
        case let .malformedCSV(file, line, field, reason):
            return "\(file):\(line)" + (field.map { ": field \($0)" } ?? "") + ": \(reason)"
        case let .inconsistent(file, reason): return "\(file): \(reason)"
        case let .checksumMismatch(file, expected, found):
            return "\(file): SHA-256 mismatch: expected \(expected), found \(found); delete the file and retry"
        case let .downloadFailed(url, reason): return "download of \(url) failed: \(reason)"
        }
    }
}
