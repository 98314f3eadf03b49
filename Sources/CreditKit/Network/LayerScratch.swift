/// One scratch matrix per layer, shaped like a workspace's activities: allocated on the first
/// batch (and again only if the workspace grows), then resized to the rows in use, so a rule
/// that keeps per-layer intermediates allocates nothing in the per-batch hot path.
struct LayerScratch: Sendable {
    private var matrices: [Matrix] = []

    /// Fits every matrix to `workspace`'s activities and the rows in use.
    mutating func fit(_ workspace: Workspace) {
        if matrices.count != workspace.activities.count || matrices[0].storage.count < workspace.activities[0].storage.count {
            matrices = workspace.activities.map { Matrix(rows: $0.rows, columns: $0.columns) }
        }
        for ℓ in matrices.indices { matrices[ℓ].resizeRows(workspace.activities[ℓ].rows) }
    }

    /// Layer ℓ's matrix.
    subscript(_ ℓ: Int) -> Matrix {
        get { matrices[ℓ] }
        _modify { yield &matrices[ℓ] }
    }

    /// Every layer's matrix.
    var all: [Matrix] { matrices }
}
