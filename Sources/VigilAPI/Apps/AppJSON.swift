import VigilCore

/// The App object of the Apps API (reference databricks.md §4.7) as Vigil answers it: the writable fields as they
/// were given (`resources` and the other settings byte for byte), then what the server keeps. Built as a
/// `JSONValue` because `resources` must come back exactly as sent, numbers included.
enum AppJSON {
    static func value(_ app: AppRecord, url: String) -> JSONValue {
        var members: [JSONMember] = [JSONMember("name", .string(app.name))]
        if let description = app.spec.description { members.append(JSONMember("description", .string(description))) }
        if let scopes = app.spec.userAPIScopes {
            members.append(JSONMember("user_api_scopes", .array(scopes.map(JSONValue.string))))
            members.append(JSONMember("effective_user_api_scopes", .array(scopes.map(JSONValue.string))))
        }
        if let resources = app.spec.resources { members.append(JSONMember("resources", resources)) }
        members += app.spec.settings
        let active = app.computeState == .active
        members += [
            JSONMember("id", .string(app.id)),
            JSONMember("url", .string(url)),
            JSONMember("creator", .string(app.creator)),
            JSONMember("updater", .string(app.updater)),
            JSONMember("create_time", .string(Timestamp.formatRFC3339(millis: app.createMillis))),
            JSONMember("update_time", .string(Timestamp.formatRFC3339(millis: app.updateMillis))),
            JSONMember("compute_status", .object([
                JSONMember("state", .string(app.computeState.rawValue)),
                JSONMember("message", .string(active ? "App compute is active." : "App compute is stopped.")),
            ])),
            JSONMember("app_status", .object([
                JSONMember("state", .string(active ? "RUNNING" : "UNAVAILABLE")),
                JSONMember("message", .string(active ? "App is running; Vigil takes and serves its logs." : "App is stopped.")),
            ])),
        ]
        return .object(members)
    }
}
