//! istool ISX archives (zip of XMI assets). See the corpus SOURCES.md.
