/**
 * Moved to builders.ts. Only test/workflows/**, which is being rewritten on another branch, still
 * imports from here; delete this file once it imports from builders.ts.
 */
export { uniqueToken } from './builders';
