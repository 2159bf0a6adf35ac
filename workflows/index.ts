export { screeningWorkflow } from './screening-workflow';
export { personalDataCleanup } from './cleanup-workflow';
