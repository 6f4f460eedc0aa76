#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
use ordinance::Policy;
#[test]
fn probe() {
    for t in [
        "resource doc { type: int }\naction view on doc\npermit view on doc when resource.type == 1",
        "resource doc { id: int }\naction view on doc\npermit view on doc when resource.id == 1",
        "resource doc { a: string, a: int }\naction view on doc\npermit view on doc",
        "resource doc {}\nresource doc {}\naction view on doc\npermit view on doc",
        "permission org:a:*\nresource doc {}\naction view on doc\npermit view on doc",
        "permission org:a:b\nresource doc {}\naction view on doc\npermit view on doc when has(org:a:*)",
        "resource doc {}\naction view, view on doc\npermit view on doc",
        "resource doc {}\naction view on doc\npermit view, view on doc",
        "resource doc {}\naction view on doc\npermit view on doc when resource.id == \"\\u{0}\"",
        "resource doc {}\naction view on doc\npermit view on doc when \"a\nb\" == context.x",
        "resource doc {}\naction view on doc\npermit view on doc when -0 == context.x",
        "resource doc {}\naction view on doc\npermit view on doc when - 5 == context.x",
        "resource doc {}\naction view on doc\npermit view on doc when --5 == context.x",
        "resource doc {}\naction view on doc\npermit view on doc when claims[\"\"] == 1",
        "resource doc {}\naction view on doc\npermit view on doc when user.id == user.id == user.id",
        "resource doc {}\naction view on doc\npermit view on doc when verified_within(-1)",
        "resource doc {}\naction view on doc\npermit view on doc when verified_within(9223372036854775807)",
        "resource doc {}\naction view on doc\npermit view on doc when has_plan(\"\")",
        "resource doc {}\naction view on doc\nlicense context.x\npermit view on doc when licensed",
        "resource doc {}\naction view on doc\nlicense resource.x\npermit view on doc when licensed",
        "resource doc {}\naction view on doc\nlicense user.id\npermit view on doc when licensed",
        "\u{feff}resource doc {}\naction view on doc\npermit view on doc",
    ] {
        match Policy::parse(t) {
            Ok(_) => println!("OK   {t:?}"),
            Err(e) => println!("ERR  {t:?}: {}", e.diagnostics()[0].message),
        }
    }
}
