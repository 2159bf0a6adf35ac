export { screeningWorkflow } from './screening-workflow';
