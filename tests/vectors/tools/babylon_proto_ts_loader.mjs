export async function resolve(spec, ctx, next) {
  try { return await next(spec, ctx); } catch (e) {
    if (e.code !== "ERR_MODULE_NOT_FOUND" && e.code !== "ERR_UNSUPPORTED_DIR_IMPORT") throw e;
    try { return await next(spec + ".js", ctx); } catch { return await next(spec + "/index.js", ctx); }
  }
}
