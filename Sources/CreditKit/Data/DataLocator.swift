import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A file of a dataset as its canonical source publishes it.
public struct RemoteFile: Sendable {
    /// The file's name in its dataset folder.
    public var name: String
    /// The SHA-256 a download must have.
    public var sha256: String
    /// Where it is downloaded from.
    public var url: String
}

/// Where a dataset's files can be found and fetched.
public struct DatasetFiles: Sendable {
    /// The dataset's folder name under a data root (`mnist`, `fashion-mnist`, …).
    public var folder: String
    /// Every file the dataset needs.
    public var files: [RemoteFile]
}

/// Finds dataset files along the search path, the way torchvision and Keras datasets do.
///
/// In order:
/// 1. `--data DIR` (``explicitRoot``): `DIR/<folder>/` — if given, nothing else is searched;
/// 2. `$CREDITKIT_DATA/<folder>/`;
/// 3. `../shared/data/<folder>/` next to the checkout (relative to the working directory, and to
///    the package the tool was built from);
/// 4. the user cache `~/.cache/creditkit/<folder>/` (or `$XDG_CACHE_HOME/creditkit`);
/// 5. a download from the canonical URL into that cache, each file checked against its SHA-256
///    and written atomically.
public struct DataLocator: Sendable {
    /// A data root given explicitly (`--data`), searched first.
    public var explicitRoot: String?
    /// The environment, for `$CREDITKIT_DATA` and `$HOME`.
    public var environment: [String: String]
    /// Whether a missing file may be downloaded (and verified) into the cache.
    public var allowDownload: Bool

    /// A locator searching `explicitRoot`, `$CREDITKIT_DATA`, `../shared/data` and the user cache, in that order.
    public init(explicitRoot: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                allowDownload: Bool = true) {
        self.explicitRoot = explicitRoot
        self.environment = environment
        self.allowDownload = allowDownload
    }

    /// The data roots searched, in order (without the download step).
    public var searchRoots: [String] {
        if let explicitRoot { return [explicitRoot] }
        var roots: [String] = []
        if let env = environment["CREDITKIT_DATA"], !env.isEmpty { roots.append(env) }
        let cwd = FileManager.default.currentDirectoryPath
        roots.append(URL(fileURLWithPath: cwd).deletingLastPathComponent().appendingPathComponent("shared/data").path)
        roots.append(Self.checkoutRoot.deletingLastPathComponent().appendingPathComponent("shared/data").path)
        roots.append(cacheRoot)
        var seen = Set<String>()
        return roots.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
    }

    /// The user cache, `~/.cache/creditkit` (or `$XDG_CACHE_HOME/creditkit`).
    public var cacheRoot: String {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/creditkit" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/creditkit"
    }

    /// The package checkout this library was built from (…/Sources/CreditKit/Data/ → root).
    static var checkoutRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Where `file` is downloaded from: the canonical source, or `$CREDITKIT_DATA_MIRROR/<folder>/<name>`
    /// when a mirror is set (a lab behind a firewall serving a copy laid out like ../shared/data).
    public func sourceURL(of file: RemoteFile, in dataset: DatasetFiles) -> String {
        guard let mirror = environment["CREDITKIT_DATA_MIRROR"], !mirror.isEmpty else { return file.url }
        return (mirror.hasSuffix("/") ? String(mirror.dropLast()) : mirror) + "/" + dataset.folder + "/" + file.name
    }

    /// The folder holding every file of `dataset`, downloading it if needed and allowed.
    public func locate(_ dataset: DatasetFiles) throws(DataError) -> String {
        var searched: [String] = []
        for root in searchRoots {
            let folder = root + "/" + dataset.folder
            searched.append(folder)
            if dataset.files.allSatisfy({ FileManager.default.fileExists(atPath: folder + "/" + $0.name) }) {
                return folder
            }
        }
        guard explicitRoot == nil, allowDownload else {
            throw .notFound(dataset: dataset.folder, searched: searched)
        }
        let folder = cacheRoot + "/" + dataset.folder
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .unreadable(file: folder, reason: "cannot create the cache folder: \(error.localizedDescription)")
        }
        for file in dataset.files where !FileManager.default.fileExists(atPath: folder + "/" + file.name) {
            let url = sourceURL(of: file, in: dataset)
            let bytes: [UInt8]
            do {
                bytes = try Downloader.fetch(url)
            } catch {
                throw .notFound(dataset: dataset.folder, searched: searched + ["\(url) (\(error))"])
            }
            // Verified before anything is written: a cut or altered transfer leaves the cache as it was.
            let digest = SHA256.hexDigest(of: bytes)
            guard digest == file.sha256 else {
                throw .checksumMismatch(file: url, expected: file.sha256, found: digest)
            }
            do {
                try AtomicFile.write(Data(bytes), to: folder + "/" + file.name)
            } catch {
                throw .unreadable(file: folder + "/" + file.name, reason: "cannot write: \(error)")
            }
        }
        return folder
    }
}

/// Blocking HTTP(S) download, used only when a dataset is nowhere on disk.
enum Downloader {
    private final class Box: @unchecked Sendable {
        var result: Result<[UInt8], DataError>?
    }

    static func fetch(_ urlString: String, timeout: TimeInterval = 120) throws(DataError) -> [UInt8] {
        guard let url = URL(string: urlString) else { throw .downloadFailed(url: urlString, reason: "not a URL") }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(.downloadFailed(url: urlString, reason: error.localizedDescription))
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                box.result = .failure(.downloadFailed(url: urlString, reason: "HTTP status \(http.statusCode)"))
            } else {
                box.result = .success([UInt8](data ?? Data()))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        return try box.result!.get()
    }
}
