/** draco3dgltf ships no types: the Emscripten modules are used through a few documented calls (draco.ts). */
declare module 'draco3dgltf'
