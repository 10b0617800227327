//! The shape of the generated protobuf field table (`schema.rs`).

/// How a field is encoded on the wire and rendered in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    /// `[]byte`: base64 in JSON.
    Bytes,
    Bool,
    Int32,
    Int64,
    Double,
    /// A nested message, by index into `schema::MESSAGES`.
    Message(u16),
    /// `map<string, V>` as repeated entry messages {1 key, 2 value}.
    Map(&'static Kind),
    /// `meta.v1.Time`: RFC 3339 seconds, `null` when zero.
    Time,
    /// `meta.v1.MicroTime`: RFC 3339 with 6 fractional digits, `null` when zero.
    MicroTime,
    /// `meta.v1.Duration`: Go duration string (`1h0m0s`). No served kind has one today;
    /// kept so that a regenerated table can refer to it.
    #[allow(dead_code)]
    Duration,
    /// `meta.v1.FieldsV1`: embedded JSON.
    FieldsV1,
    /// `resource.Quantity`: its string.
    Quantity,
    /// `intstr.IntOrString`: a number or a string.
    IntOrString,
    /// `runtime.RawExtension`: embedded JSON (or an embedded protobuf object).
    RawExtension,
    /// A Go named `[]string` (`ExtraValue`): message {repeated string items = 1}, JSON list.
    StringList,
}

/// The field is a list (`repeated`).
pub(crate) const REPEATED: u8 = 1;
/// Go embedded struct (`json:",inline"`): its fields go into the parent object.
pub(crate) const INLINE: u8 = 2;
/// Go pointer: an explicit zero is meaningful and kept.
pub(crate) const POINTER: u8 = 4;
/// The Go json tag has `omitempty`: a zero non-pointer value is dropped.
pub(crate) const OMITEMPTY: u8 = 8;

/// One field of a message.
#[derive(Debug)]
pub(crate) struct Field {
    pub tag: u32,
    /// Kubernetes JSON name; empty for inline fields.
    pub json: &'static str,
    pub kind: Kind,
    pub flags: u8,
}

impl Field {
    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Whether a zero value is written to JSON: Go's `encoding/json` drops it only
    /// for non-pointer fields tagged `omitempty`.
    pub(crate) fn keeps_zero(&self) -> bool {
        self.has(POINTER) || !self.has(OMITEMPTY)
    }
}

/// Shorthand used by the generated table.
pub(crate) const fn f(tag: u32, json: &'static str, kind: Kind, flags: u8) -> Field {
    Field {
        tag,
        json,
        kind,
        flags,
    }
}

/// A protobuf message: its OpenAPI definition name and fields sorted by tag.
#[derive(Debug)]
pub(crate) struct Message {
    pub name: &'static str,
    pub fields: &'static [Field],
}

impl Message {
    pub(crate) fn field(&self, tag: u32) -> Option<&'static Field> {
        self.fields
            .binary_search_by_key(&tag, |f| f.tag)
            .ok()
            .map(|i| &self.fields[i])
    }
}
