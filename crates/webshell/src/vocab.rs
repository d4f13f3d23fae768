//! What each language's names mean to the analysis: where request input
//! comes from, what runs code or commands, what decodes, what passes its
//! argument through. Names are lowercase; `qual.name` means a call of
//! `name` on `qual` (`process.start`). The analysis is the same for all.

use crate::lex::Lang;

pub struct Vocab {
    /// Run their (first string) argument as code.
    pub code_sinks: &'static [&'static str],
    /// Run their argument as an operating-system command.
    pub cmd_sinks: &'static [&'static str],
    /// Turn bytes into runnable code (a class, an assembly).
    pub loaders: &'static [&'static str],
    /// Call the function named by their argument at this position
    /// (255: any argument).
    pub callback_runners: &'static [(&'static str, u8)],
    /// Undo an encoding; their result is "decoded" data.
    pub decoders: &'static [&'static str],
    /// Hand (part of) their input on unchanged enough that input stays
    /// input. A call of any other function ends the trail: clean code
    /// routes input through its own validators.
    pub passthrough: &'static [&'static str],
    /// PHP superglobals holding request input.
    pub source_vars: &'static [&'static str],
    /// Calls (functions or methods) returning request input.
    pub source_calls: &'static [&'static str],
    /// Objects whose indexing or listed members are request input
    /// (ASP `Request("x")`, `Request.Form`).
    pub source_objects: &'static [&'static str],
    pub source_members: &'static [&'static str],
    /// Concatenation operators.
    pub concat: &'static [&'static str],
    /// Character-code functions (`chr(97)`).
    pub chr: &'static [&'static str],
    /// Reflection entry points: a constant argument naming a command
    /// runner reaches it without writing its name in code.
    pub reflect: &'static [&'static str],
    /// Constant strings that name a command runner or shell object.
    pub dangerous_names: &'static [&'static str],
    /// Creating one of these objects (by a dangerous name) is a shell.
    pub object_factories: &'static [&'static str],
    /// Write their data argument to a file (for droppers and uploaders).
    pub file_writers: &'static [&'static str],
    /// Store an uploaded or received file under a name (last argument).
    pub file_stores: &'static [&'static str],
    /// Members whose assignment launches or configures a command.
    pub assign_sinks: &'static [&'static str],
    /// Keywords that take `(` without being calls.
    pub not_calls: &'static [&'static str],
}

/// Members of the ASP and ASP.NET `Request` object that hold what the
/// client sent.
const ASP_REQUEST_MEMBERS: &[&str] = &[
    "form",
    "querystring",
    "params",
    "item",
    "cookies",
    "headers",
    "inputstream",
    "binaryread",
    "files",
    "servervariables",
    "totalbytes",
    "getbufferlessinputstream",
];

const PHP: Vocab = Vocab {
    code_sinks: &[
        "eval",
        "assert",
        "create_function",
        "include",
        "include_once",
        "require",
        "require_once",
        "preg_replace",
        "preg_filter",
        "mb_ereg_replace",
        "mb_eregi_replace",
    ],
    cmd_sinks: &["system", "exec", "passthru", "shell_exec", "popen", "proc_open", "pcntl_exec", "expect_popen", "w32api_invoke_function"],
    loaders: &[],
    callback_runners: &[
        ("call_user_func", 0),
        ("call_user_func_array", 0),
        ("forward_static_call", 0),
        ("forward_static_call_array", 0),
        ("array_map", 0),
        ("array_filter", 1),
        ("array_walk", 1),
        ("array_walk_recursive", 1),
        ("array_reduce", 1),
        ("usort", 1),
        ("uasort", 1),
        ("uksort", 1),
        ("array_udiff", 255),
        ("array_udiff_assoc", 255),
        ("array_uintersect", 255),
        ("array_diff_ukey", 255),
        ("array_intersect_ukey", 255),
        ("register_shutdown_function", 0),
        ("register_tick_function", 0),
        ("set_error_handler", 0),
        ("set_exception_handler", 0),
        ("iterator_apply", 1),
        ("ob_start", 0),
        ("preg_replace_callback", 1),
        ("mb_ereg_replace_callback", 1),
        ("spl_autoload_register", 0),
        ("header_register_callback", 0),
    ],
    decoders: &[
        "base64_decode",
        "gzinflate",
        "gzuncompress",
        "gzdecode",
        "str_rot13",
        "strrev",
        "hex2bin",
        "convert_uudecode",
        "bzdecompress",
        "pack",
        "urldecode",
        "rawurldecode",
        "lzf_decompress",
    ],
    // With the decoders: input through either stays input.
    passthrough: &[
        "trim",
        "ltrim",
        "rtrim",
        "stripslashes",
        "stripcslashes",
        "substr",
        "str_replace",
        "str_ireplace",
        "preg_replace",
        "implode",
        "join",
        "explode",
        "strtolower",
        "strtoupper",
        "ucfirst",
        "lcfirst",
        "sprintf",
        "vsprintf",
        "current",
        "key",
        "reset",
        "end",
        "next",
        "array_pop",
        "array_shift",
        "array_values",
        "array_keys",
        "array_slice",
        "each",
        "strval",
        "html_entity_decode",
        "htmlspecialchars_decode",
        "str_pad",
        "json_decode",
        "unserialize",
        "addslashes",
        "escapeshellcmd",
        "array_merge",
        "compact",
        "str_split",
        "chunk_split",
        "iconv",
        "mb_convert_encoding",
        "utf8_decode",
        "stream_get_contents",
        "fread",
        "fgets",
        "file_get_contents",
        "array_reverse",
        "nl2br",
        "array",
        "list",
        "hexdec",
        "octdec",
        "bindec",
        "base_convert",
        "fopen",
        "basename",
    ],
    source_vars: &[
        "_GET",
        "_POST",
        "_REQUEST",
        "_COOKIE",
        "_FILES",
        "_SERVER",
        "_ENV",
        "HTTP_GET_VARS",
        "HTTP_POST_VARS",
        "HTTP_COOKIE_VARS",
        "HTTP_POST_FILES",
        "HTTP_RAW_POST_DATA",
        "HTTP_SERVER_VARS",
    ],
    source_calls: &["getallheaders", "apache_request_headers", "filter_input", "filter_input_array", "get_defined_vars"],
    source_objects: &[],
    source_members: &[],
    concat: &["."],
    chr: &["chr"],
    reflect: &["reflectionfunction", "reflectionmethod"],
    dangerous_names: &[],
    object_factories: &[],
    file_writers: &["file_put_contents", "fwrite", "fputs"],
    file_stores: &["move_uploaded_file", "copy", "rename"],
    assign_sinks: &[],
    not_calls: &[
        "if",
        "elseif",
        "while",
        "for",
        "foreach",
        "switch",
        "isset",
        "empty",
        "unset",
        "function",
        "fn",
        "catch",
        "match",
        "declare",
        "echo",
        "print",
        "return",
        "exit",
        "die",
        "and",
        "or",
        "xor",
        "use",
        "global",
        "static",
        "new",
        "clone",
        "instanceof",
        "int",
        "string",
        "bool",
        "float",
        "object",
    ],
};

const JAVA: Vocab = Vocab {
    code_sinks: &["eval", "parseexpression", "invokescript"],
    cmd_sinks: &["exec", "processbuilder", "command", "processimpl.start", "forkandexec"],
    loaders: &["defineclass", "defineanonymousclass", "definehiddenclass"],
    callback_runners: &[],
    decoders: &["decodebuffer", "decode", "dofinal", "parsebase64binary", "decodebase64"],
    // With the decoders: input through either stays input.
    passthrough: &[
        "trim",
        "substring",
        "replace",
        "replaceall",
        "tolowercase",
        "touppercase",
        "split",
        "getbytes",
        "readline",
        "tostring",
        "valueof",
        "string",
        "concat",
        "format",
        "getinputstream",
    ],
    source_vars: &[],
    source_calls: &[
        "getparameter",
        "getparametervalues",
        "getparametermap",
        "getparameternames",
        "getheader",
        "getheaders",
        "getinputstream",
        "getreader",
        "getquerystring",
        "getpart",
        "getparts",
        "getcookies",
    ],
    source_objects: &[],
    source_members: &[],
    concat: &["+"],
    chr: &[],
    reflect: &["forname", "loadclass", "getmethod", "getdeclaredmethod", "getconstructor", "getdeclaredconstructor", "findclass"],
    dangerous_names: &[
        "java.lang.runtime",
        "java.lang.processbuilder",
        "java.lang.processimpl",
        "java.lang.unixprocess",
        "exec",
        "getruntime",
        "start",
    ],
    object_factories: &[],
    file_writers: &["fileoutputstream", "filewriter", "randomaccessfile", "printwriter"],
    file_stores: &["write", "transferto"],
    assign_sinks: &[],
    not_calls: &["if", "while", "for", "switch", "catch", "synchronized", "return", "new", "try"],
};

const CSHARP: Vocab = Vocab {
    code_sinks: &["eval", "compileassemblyfromsource"],
    cmd_sinks: &["process.start", "processstartinfo", "shellexecute", "winexec", "createprocess"],
    loaders: &["assembly.load", "createinstance", "invokemember"],
    callback_runners: &[],
    decoders: &["frombase64string", "decompress", "transformfinalblock", "getstring"],
    // With the decoders: input through either stays input.
    passthrough: &[
        "trim",
        "substring",
        "replace",
        "tolower",
        "toupper",
        "split",
        "tostring",
        "format",
        "concat",
        "urldecode",
        "readtoend",
        "getbytes",
    ],
    source_vars: &[],
    source_calls: &["getquerystring", "binaryread"],
    source_objects: &["request"],
    source_members: ASP_REQUEST_MEMBERS,
    concat: &["+"],
    chr: &["char"],
    reflect: &["gettype", "getmethod", "invokemember", "createinstance"],
    dangerous_names: &["cmd.exe", "cmd", "powershell", "powershell.exe", "/bin/sh", "/bin/bash", "system.diagnostics.process"],
    object_factories: &[],
    file_writers: &["writeallbytes", "writealltext", "filestream", "streamwriter"],
    file_stores: &["saveas"],
    assign_sinks: &["filename", "arguments"],
    not_calls: &["if", "while", "for", "foreach", "switch", "catch", "using", "lock", "return", "new", "typeof", "sizeof", "nameof"],
};

const VBSCRIPT: Vocab = Vocab {
    code_sinks: &["execute", "executeglobal", "eval"],
    cmd_sinks: &["run", "exec", "shellexecute", "process.start", "processstartinfo", "shell"],
    loaders: &["assembly.load", "createinstance"],
    callback_runners: &[("getref", 0)],
    decoders: &["frombase64string", "unescape"],
    // With the decoders: input through either stays input.
    passthrough: &["trim", "ltrim", "rtrim", "mid", "left", "right", "replace", "lcase", "ucase", "cstr", "split", "join"],
    source_vars: &[],
    source_calls: &[],
    source_objects: &["request"],
    source_members: ASP_REQUEST_MEMBERS,
    concat: &["&", "+"],
    chr: &["chr", "chrw", "chrb", "chr$"],
    reflect: &[],
    dangerous_names: &[
        "wscript.shell",
        "wscript.shell.1",
        "shell.application",
        "shell.application.1",
        "wscript.network",
        "{72c24dd5-d70a-438b-8a42-98424b88afb8}",
        "{13709620-c279-11ce-a49e-444553540000}",
        "clsid:72c24dd5-d70a-438b-8a42-98424b88afb8",
        "clsid:13709620-c279-11ce-a49e-444553540000",
    ],
    object_factories: &["createobject", "server.createobject", "getobject"],
    file_writers: &["createtextfile", "savetofile"],
    file_stores: &["savetofile"],
    assign_sinks: &[],
    not_calls: &["if", "while", "for", "select", "case", "elseif", "and", "or", "not", "return", "new", "then", "until"],
};

const JSCRIPT: Vocab = Vocab {
    code_sinks: &["eval", "execute", "function"],
    cmd_sinks: &["run", "exec", "shellexecute", "process.start", "processstartinfo"],
    loaders: &["assembly.load"],
    callback_runners: &[],
    decoders: &["frombase64string", "unescape", "decodeuricomponent"],
    // With the decoders: input through either stays input.
    passthrough: &["tostring", "replace", "substring", "substr", "split", "join", "getstring"],
    source_vars: &[],
    source_calls: &[],
    source_objects: &["request"],
    source_members: ASP_REQUEST_MEMBERS,
    concat: &["+"],
    chr: &["fromcharcode"],
    reflect: &[],
    dangerous_names: &[
        "wscript.shell",
        "shell.application",
        "{72c24dd5-d70a-438b-8a42-98424b88afb8}",
        "{13709620-c279-11ce-a49e-444553540000}",
        "cmd.exe",
        "system.diagnostics.process",
    ],
    object_factories: &["activexobject", "createobject", "server.createobject"],
    file_writers: &["createtextfile", "savetofile"],
    file_stores: &["savetofile", "saveas"],
    assign_sinks: &["filename", "arguments"],
    not_calls: &["if", "while", "for", "switch", "catch", "return", "typeof"],
};

pub fn of(lang: Lang) -> &'static Vocab {
    match lang {
        Lang::Php => &PHP,
        Lang::Java => &JAVA,
        Lang::CSharp => &CSHARP,
        Lang::VbScript => &VBSCRIPT,
        Lang::JScript => &JSCRIPT,
    }
}

/// True when `name` (lowercase) is in `list`; an entry `q.n` matches a
/// call of `n` on `q` (`Process.Start`, not `thread.Start`).
pub fn has(list: &[&str], name: &str, qual: Option<&str>) -> bool {
    list.iter().any(|e| {
        if e.len() == name.len() {
            return *e == name;
        }
        // `q.n`: compared without splitting (this runs for every call).
        let (el, nl) = (e.len(), name.len());
        el > nl + 1 && e.ends_with(name) && e.as_bytes()[el - nl - 1] == b'.' && qual == Some(&e[..el - nl - 1])
    })
}
