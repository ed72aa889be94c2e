//! A CPU budget on Windows: this process in a Job Object whose CPU rate is
//! hard-capped (`JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP`, Windows 8 and
//! later). The rate is the job's share of every processor's cycles, in
//! hundredths of a percent, so F cores of N is `10000 x F / N`. Windows
//! chooses the interval over which it is enforced (no period to set, unlike
//! Linux's CFS quota). The job lives as long as the process: nothing to
//! remove at exit, even after `taskkill /F`.

use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectCpuRateControlInformation,
    SetInformationJobObject, JOBOBJECT_CPU_RATE_CONTROL_INFORMATION,
    JOB_OBJECT_CPU_RATE_CONTROL_ENABLE, JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP,
};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

use super::cpu_budget::{Budget, BudgetError};

/// A budget in force: this process is in a capped job until it exits.
#[derive(Debug)]
pub struct JobBudget {
    /// The cap set: cycles per 10,000 of the whole machine's.
    pub rate: u32,
    // Kept open for the process's life: the job is the process's.
    _job: HANDLE,
}

/// Holds this process to `budget` with a hard-capped Job Object.
///
/// # Errors
/// A Job Object call failed (the system's error is in the message).
pub fn hold_job(budget: Budget, cores: usize) -> Result<JobBudget, BudgetError> {
    let failed = |what: &str| BudgetError::Io {
        path: what.into(),
        source: std::io::Error::last_os_error(),
    };
    let rate = budget.job_rate(cores);
    // SAFETY: a new unnamed job with default security; the information
    // block is a valid JOBOBJECT_CPU_RATE_CONTROL_INFORMATION of the size
    // given; the current process's pseudo-handle needs no closing.
    unsafe {
        let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
        if job.is_null() {
            return Err(failed("CreateJobObjectW"));
        }
        let mut info = JOBOBJECT_CPU_RATE_CONTROL_INFORMATION {
            ControlFlags: JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP,
            ..Default::default()
        };
        info.Anonymous.CpuRate = rate;
        let ok = SetInformationJobObject(
            job,
            JobObjectCpuRateControlInformation,
            std::ptr::from_ref(&info).cast(),
            std::mem::size_of::<JOBOBJECT_CPU_RATE_CONTROL_INFORMATION>() as u32,
        );
        if ok == 0 {
            return Err(failed("SetInformationJobObject (CPU rate control)"));
        }
        if AssignProcessToJobObject(job, GetCurrentProcess()) == 0 {
            return Err(failed("AssignProcessToJobObject"));
        }
        Ok(JobBudget { rate, _job: job })
    }
}
