/// What a client sends as an App (`POST /api/2.0/apps`, `PATCH /api/2.0/apps/{name}`): the writable fields, kept as
/// given. Output-only fields (`id`, `url`, `creator`, `compute_status`, ...) are accepted and ignored, so an App
/// read with GET can be sent back as an update (the SDK's `w.apps.update(name, app=w.apps.get(name))`); any other
/// member is refused by name.
public struct AppSpec: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The on-behalf-of scopes. nil when absent or null; `[]` is kept apart from absent (the OBO query tells them
    /// apart through `get_json_object(request_params.app, '$.user_api_scopes')`).
    public var userAPIScopes: [String]?
    /// `resources` exactly as given (an array of resource objects), or nil.
    public var resources: JSONValue?
    /// The other writable App fields Vigil keeps and returns but does not act on (`budget_policy_id`,
    /// `compute_size`, ...), as given and in the order given.
    public var settings: [JSONMember]

    public init(name: String, description: String? = nil, userAPIScopes: [String]? = nil, resources: JSONValue? = nil,
                settings: [JSONMember] = []) {
        self.name = name
        self.description = description
        self.userAPIScopes = userAPIScopes
        self.resources = resources
        self.settings = settings
    }

    /// Fields the server sets; ignored in requests.
    public static let outputOnlyFields: Set<String> = [
        "active_deployment", "app_status", "compute_status", "create_time", "creator", "default_git_source",
        "default_source_code_path", "effective_budget_policy_id", "effective_usage_policy_id", "effective_user_api_scopes",
        "id", "oauth2_app_client_id", "oauth2_app_integration_id", "pending_deployment", "service_principal_client_id",
        "service_principal_id", "service_principal_name", "thumbnail_url", "update_time", "updater", "url",
    ]

    /// Writable fields kept as given in `settings`.
    public static let settingFields: Set<String> = [
        "budget_policy_id", "usage_policy_id", "compute_size", "compute_min_instances", "compute_max_instances",
        "forward_user_access_token", "git_repository", "git_source", "source_code_path", "space",
        "telemetry_export_destinations",
    ]

    public static let maxDescriptionLength = 1_024
    public static let maxScopes = 64
    public static let maxResources = 100

    /// Reads an App object. Every problem names its field.
    public static func parse(_ value: JSONValue) throws -> AppSpec {
        guard case .object(let members) = value else {
            throw VigilError(.invalidParameter, "the request body must be an App object, got \(value.typeName)")
        }
        var spec = AppSpec(name: "")
        var sawName = false
        for member in members {
            switch member.key {
            case "name":
                guard case .string(let name) = member.value else {
                    throw VigilError(.invalidParameter, "name must be a string, got \(member.value.typeName)")
                }
                if let problem = AppName.problem(name) { throw VigilError(.invalidParameter, "name is invalid: \(problem)") }
                spec.name = name
                sawName = true
            case "description":
                switch member.value {
                case .null: spec.description = nil
                case .string(let text):
                    guard text.count <= maxDescriptionLength else {
                        throw VigilError(.invalidParameter, "description is \(text.count) characters, at most \(maxDescriptionLength) allowed")
                    }
                    spec.description = text
                default: throw VigilError(.invalidParameter, "description must be a string, got \(member.value.typeName)")
                }
            case "user_api_scopes":
                spec.userAPIScopes = try scopes(member.value)
            case "resources":
                switch member.value {
                case .null: spec.resources = nil
                case .array(let items):
                    guard items.count <= maxResources else {
                        throw VigilError(.invalidParameter, "resources has \(items.count) entries, at most \(maxResources) allowed")
                    }
                    if let index = items.firstIndex(where: { if case .object = $0 { false } else { true } }) {
                        throw VigilError(.invalidParameter, "resources[\(index)] must be an object, got \(items[index].typeName)")
                    }
                    spec.resources = member.value
                default: throw VigilError(.invalidParameter, "resources must be an array of resource objects, got \(member.value.typeName)")
                }
            case let key where settingFields.contains(key):
                if member.value != .null { spec.settings.append(member) }
            case let key where outputOnlyFields.contains(key):
                continue
            default:
                throw VigilError(
                    .invalidParameter, "unknown field '\(member.key.prefix(64))' in the App; writable fields: description, name, resources, user_api_scopes, \(settingFields.sorted().joined(separator: ", "))")
            }
        }
        guard sawName else { throw VigilError(.invalidParameter, "name is required (\(AppName.rule))") }
        return spec
    }

    static func scopes(_ value: JSONValue) throws -> [String]? {
        switch value {
        case .null: return nil
        case .array(let items):
            guard items.count <= maxScopes else {
                throw VigilError(.invalidParameter, "user_api_scopes has \(items.count) entries, at most \(maxScopes) allowed")
            }
            return try items.enumerated().map { index, item in
                guard case .string(let scope) = item, !scope.isEmpty, scope.count <= 256 else {
                    throw VigilError(.invalidParameter, "user_api_scopes[\(index)] must be a non-empty string of at most 256 characters")
                }
                return scope
            }
        default:
            throw VigilError(.invalidParameter, "user_api_scopes must be an array of strings, got \(value.typeName)")
        }
    }
}
