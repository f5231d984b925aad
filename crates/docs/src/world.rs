//! The typst [`World`] for one render: the generated source, signature images and shared fonts.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::{DocError, Fonts};

/// The standard library is identical for every document, so it is built once.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// Everything typst may read while compiling one document. Nothing comes from the file system.
pub struct DocWorld<'a> {
    fonts: &'a Fonts,
    main: Source,
    /// Virtual files such as `/sig-0.png`.
    files: Vec<(FileId, Bytes)>,
}

impl<'a> DocWorld<'a> {
    /// A world whose main file is `source` and which serves `files` (virtual path, contents).
    ///
    /// Paths are interned process-wide by typst and never freed, so callers must reuse a bounded set.
    pub fn new(fonts: &'a Fonts, source: String, files: Vec<(String, Bytes)>) -> Result<Self, DocError> {
        let main = Source::new(file_id("/main.typ")?, source);
        let files =
            files.into_iter().map(|(path, data)| Ok((file_id(&path)?, data))).collect::<Result<_, DocError>>()?;
        Ok(Self { fonts, main, files })
    }
}

/// The id of a file at an absolute virtual path in the project root.
fn file_id(path: &str) -> Result<FileId, DocError> {
    let vpath = VirtualPath::new(path).map_err(|err| DocError::Compile(format!("bad virtual path {path}: {err}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() { Ok(self.main.clone()) } else { Err(not_found(id)) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.files.iter().find(|(file, _)| *file == id).map(|(_, data)| data.clone()).ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    /// No clock: documents carry their dates as text, which keeps output reproducible.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}
