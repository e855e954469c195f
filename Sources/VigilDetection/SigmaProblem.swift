/// One thing wrong with a rule document: where (line, when the YAML says), which field, and why.
public struct SigmaProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int?
    /// The rule's key path (`detection.selection.user_identity.email|contans`), or `yaml` for syntax errors.
    public var field: String
    public var message: String

    public init(line: Int?, field: String, _ message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        (line.map { "line \($0): " } ?? "") + "\(field): \(message)"
    }
}
